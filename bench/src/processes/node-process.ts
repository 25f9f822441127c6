import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { killOnExit } from '@conveyor/testing';

/** Options for {@link startNodeProcess}. */
export interface NodeProcessOptions {
  /** Label for messages, e.g. `api`. */
  name: string;
  /** The script `node` runs. */
  script: string;
  /** The whole environment of the child (PATH is added). */
  env: Record<string, string>;
  /** File that receives the child's stdout and stderr. */
  logFile: string;
  /**
   * Extra `node` flags, e.g. `--cpu-prof`.
   * @defaultValue []
   */
  nodeArgs?: string[];
}

/** A child `node` process of the bench; see {@link startNodeProcess}. */
export interface NodeProcess {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  /** Settles with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<string>;
  /** The last `lines` lines of its log. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs `node <script>` with its output going to a file, not a pipe: a pipe read by the bench would
 * put the bench's own CPU (and back-pressure on the child's synchronous log writes) into every
 * figure, where a file behaves like a container's log driver. The child is SIGKILLed if the bench
 * dies first.
 */
export function startNodeProcess(options: NodeProcessOptions): NodeProcess {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`${options.name}: could not start node`);
  killOnExit(child);
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve(signal ?? `code ${code}`);
    });
  });
  const pid = child.pid;
  return {
    name: options.name,
    pid,
    get running() {
      return running;
    },
    exited,
    logTail(lines = 20) {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop(timeoutMs = 10_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

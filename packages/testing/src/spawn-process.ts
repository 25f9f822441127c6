import { spawn } from 'node:child_process';
import { killOnExit } from './kill-on-exit.js';
import { OutputBuffer } from './output-buffer.js';

/** How long output may keep arriving after the process itself has exited. */
const PIPE_DRAIN_GRACE_MS = 500;

/** Options for {@link spawnProcess}. */
export interface SpawnProcessOptions {
  /** Short label used in error messages ("worker", "redis-server"). */
  name: string;
  /**
   * Environment of the child.
   * @defaultValue `process.env`
   */
  env?: NodeJS.ProcessEnv;
  /**
   * Working directory of the child.
   * @defaultValue `process.cwd()`
   */
  cwd?: string;
}

/** How a child process ended: exactly one of the two is set, unless it never started. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running child process with its output captured; see {@link spawnProcess}. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** Interleaved stdout and stderr so far (the last MiB). */
  output(): string;
  /**
   * Resolves with the first output line matching `pattern` (including lines printed before the
   * call); rejects, quoting the output tail, if the process exits first or the time runs out.
   */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Settles once the process has exited; never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Sends `signal` (default SIGTERM) if the process still runs. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<ProcessExit>;
}

/**
 * Starts a child process for a test, capturing its output, and makes sure it is SIGKILLed if the
 * test process ends first.
 * @throws when the command cannot be spawned at all (missing or not executable).
 */
export function spawnProcess(
  command: string,
  args: string[],
  options: SpawnProcessOptions,
): ChildHandle {
  const { name } = options;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  const output = new OutputBuffer();
  output.capture(child.stdout);
  output.capture(child.stderr);

  const exited = new Promise<ProcessExit>((resolve) => {
    // 'close' comes after stdout and stderr are drained, so output() is complete when `exited`
    // settles; but a grandchild holding the pipes open must not delay it forever.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('exit', (code, signal) => {
      setTimeout(() => resolve({ code, signal }), PIPE_DRAIN_GRACE_MS);
    });
    child.once('error', (error) => {
      output.append(`[${name}] ${error.message}\n`);
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  let running = child.pid !== undefined;
  void exited.then(() => {
    running = false;
  });

  if (child.pid === undefined) {
    throw new Error(`${name}: could not spawn ${command} (missing or not executable)`);
  }
  const pid = child.pid;
  killOnExit(child);

  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (running) child.kill(signal);
  };

  return {
    name,
    pid,
    output: () => output.text(),
    get running() {
      return running;
    },
    exited,
    kill,
    waitForOutput: (pattern, timeoutMs = 15_000) =>
      waitForLine(name, output, exited, pattern, timeoutMs),
    async stop(timeoutMs = 10_000) {
      kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          kill('SIGKILL');
          resolve();
        }, timeoutMs);
      });
      await Promise.race([exited, forced]);
      clearTimeout(timer);
      return exited;
    },
  };
}

function waitForLine(
  name: string,
  output: OutputBuffer,
  exited: Promise<ProcessExit>,
  pattern: RegExp | string,
  timeoutMs: number,
): Promise<string> {
  const matches = (line: string) =>
    typeof pattern === 'string' ? line.includes(pattern) : new RegExp(pattern).test(line);
  const already = output.lines().find(matches);
  if (already !== undefined) return Promise.resolve(already);

  return new Promise((resolve, reject) => {
    const done = () => {
      unsubscribe();
      clearTimeout(timer);
    };
    const fail = (reason: string) => {
      done();
      reject(
        new Error(`${name}: ${reason} waiting for output ${String(pattern)}\n${output.tail()}`),
      );
    };
    const unsubscribe = output.onLine((line) => {
      if (!matches(line)) return;
      done();
      resolve(line);
    });
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs}ms`), timeoutMs);
    void exited.then(({ code, signal }) => {
      // Lines flushed before 'close' have been delivered by now; if one matched we are done.
      fail(`exited (${signal ?? `code ${code}`}) before`);
    });
  });
}

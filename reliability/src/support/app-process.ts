import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { killOnExit, type ProcessExit } from '@conveyor/testing';

/** Options for {@link AppProcess.start}. */
export interface AppProcessOptions {
  /** Unique label, also the log file's name (`worker-3`). */
  name: string;
  /** The script `node` runs. */
  script: string;
  /** The child's whole environment besides PATH: nothing leaks in from the test runner. */
  env: Record<string, string>;
  /** Folder the full output is written to, as `<name>.log`. */
  logDir: string;
}

/**
 * A real app process (`node apps/<app>/dist/main.js`) whose complete output is kept, in memory
 * and in a log file, so the suite can both wait for lines and scan every line for secrets.
 * Unlike `spawnProcess` from `@conveyor/testing`, nothing is truncated.
 */
export class AppProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles once the process has exited and its output is drained; never rejects. */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #chunks: string[] = [];
  readonly #listeners = new Set<(text: string) => void>();
  readonly #file: WriteStream;
  #running = true;

  private constructor(options: AppProcessOptions) {
    this.name = options.name;
    mkdirSync(options.logDir, { recursive: true });
    this.logFile = join(options.logDir, `${options.name}.log`);
    this.#file = createWriteStream(this.logFile);
    this.#child = spawn(process.execPath, [options.script], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.#child.pid === undefined) throw new Error(`${options.name}: could not spawn node`);
    this.pid = this.#child.pid;
    killOnExit(this.#child);
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => this.#append(text));
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code, signal) => {
        this.#running = false;
        this.#file.end(() => resolve({ code, signal }));
      });
    });
  }

  static start(options: AppProcessOptions): AppProcess {
    return new AppProcess(options);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Everything the process printed so far, stdout and stderr interleaved. */
  logs(): string {
    return this.#chunks.join('');
  }

  /** Sends `signal` if the process still runs. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#running) this.#child.kill(signal);
  }

  /** SIGKILL, as a crash or the OOM killer would, and resolves once it is gone. */
  async crash(): Promise<ProcessExit> {
    this.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<ProcessExit> {
    if (!this.#running) return this.exited;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /**
   * Resolves with the first output line matching `pattern`, printed before or after the call;
   * rejects with the output tail if the process exits first or `timeoutMs` passes.
   */
  waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const already = this.logs()
      .split('\n')
      .find((line) => pattern.test(line));
    if (already !== undefined) return Promise.resolve(already);
    // Only text arriving from now on needs looking at; `carry` holds an unfinished line.
    let carry = this.logs().slice(this.logs().lastIndexOf('\n') + 1);
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#listeners.delete(onText);
        clearTimeout(timer);
      };
      const fail = (why: string) => {
        done();
        reject(new Error(`${this.name}: ${why} waiting for ${pattern}\n${this.tail()}`));
      };
      const onText = (text: string) => {
        const lines = (carry + text).split('\n');
        carry = lines.at(-1) ?? '';
        const line = lines.find((candidate) => pattern.test(candidate));
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.#listeners.add(onText);
      void this.exited.then(({ code, signal }) => {
        if (this.#listeners.has(onText)) fail(`exited (${signal ?? `code ${code}`}) before`);
      });
    });
  }

  /** The last lines of output, for error messages. */
  tail(lines = 25): string {
    return this.logs().trimEnd().split('\n').slice(-lines).join('\n');
  }

  #append(text: string): void {
    this.#chunks.push(text);
    this.#file.write(text);
    for (const listener of this.#listeners) listener(text);
  }
}

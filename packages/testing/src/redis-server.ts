import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { createTempDir, type TempDir } from './create-temp-dir.js';
import { findRedisBinary } from './find-redis-binary.js';
import { getFreePort } from './get-free-port.js';
import { tailLines } from './output-buffer.js';
import { type ChildHandle, spawnProcess } from './spawn-process.js';
import { waitFor } from './wait-for.js';
import { withRedisClient } from './with-redis-client.js';

/** Options for {@link RedisServer.start}. */
export interface RedisServerOptions {
  /**
   * TCP port on 127.0.0.1.
   * @defaultValue a free port, picked again if another process takes it first
   */
  port?: number;
  /**
   * Password of the `default` user (`requirepass`).
   * @defaultValue no password
   */
  password?: string;
  /**
   * Raw ACL rules, one user per line (`user app on >secret ~conveyor:* &* +@all`), written to an
   * aclfile. When `password` is set too and no line defines `default`, a `default` user with
   * that password and all permissions is added, since an aclfile replaces `requirepass`.
   * @defaultValue no aclfile
   */
  aclUsers?: string[];
  /**
   * AOF persistence (`appendfsync everysec`), so data survives {@link RedisServer.restart}.
   * @defaultValue true
   */
  appendonly?: boolean;
  /**
   * Memory limit, as Redis writes it (`'2mb'`).
   * @defaultValue no limit
   */
  maxmemory?: string;
  /**
   * What Redis does at the memory limit.
   * @defaultValue 'noeviction'
   */
  maxmemoryPolicy?: string;
  /**
   * More `--name value` arguments, passed last so that they override everything above.
   * @defaultValue []
   */
  extraArgs?: string[];
  /**
   * A redis.conf read first; every other option is passed after it and overrides it.
   * @defaultValue no file
   */
  configFile?: string;
  /**
   * Start as a replica of this master (`replicaof`).
   * @defaultValue a master
   */
  replicaOf?: { host: string; port: number };
  /**
   * Password used to authenticate to the master (`masterauth`).
   * @defaultValue none
   */
  masterAuth?: string;
  /**
   * How long the server may take to answer PING, on start and on restart.
   * @defaultValue 10_000
   */
  readyTimeoutMs?: number;
}

const HOST = '127.0.0.1';
/** Attempts when the port we picked is taken before redis-server binds it. */
const PORT_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 5000;
const KILL_TIMEOUT_MS = 10_000;
/** How often a shutdown signal Redis has refused is sent again. */
const RESEND_MS = 250;

/**
 * A real redis-server process on 127.0.0.1 with its own temp folder, for tests: start, crash,
 * freeze and restart it to exercise what the platform does when Redis misbehaves.
 */
export class RedisServer {
  readonly host = HOST;
  readonly port: number;
  /** The server's working folder: AOF, nodes.conf, aclfile. Removed by {@link stop}. */
  readonly dir: string;
  readonly password: string | undefined;
  /** `redis://[:password@]127.0.0.1:port` */
  readonly url: string;
  readonly #tempDir: TempDir;
  readonly #binary: string;
  readonly #args: string[];
  readonly #readyTimeoutMs: number;
  #process: ChildHandle;
  #previousLogs = '';
  #paused = false;
  #stopping: Promise<void> | undefined;

  private constructor(init: {
    binary: string;
    port: number;
    tempDir: TempDir;
    password: string | undefined;
    args: string[];
    readyTimeoutMs: number;
    process: ChildHandle;
  }) {
    this.#binary = init.binary;
    this.port = init.port;
    this.#tempDir = init.tempDir;
    this.dir = init.tempDir.path;
    this.password = init.password;
    this.#args = init.args;
    this.#readyTimeoutMs = init.readyTimeoutMs;
    this.#process = init.process;
    const auth = init.password === undefined ? '' : `:${encodeURIComponent(init.password)}@`;
    this.url = `redis://${auth}${HOST}:${init.port}`;
  }

  /** Spawns redis-server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const binary = findRedisBinary('redis-server');
    const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    const tempDir = await createTempDir('conveyor-redis-');
    const dir = tempDir.path;
    try {
      const aclFile = await writeAclFile(dir, options);
      for (let attempt = 1; ; attempt++) {
        const port = options.port ?? (await getFreePort());
        const args = serverArgs(port, dir, aclFile, options);
        const child = spawnRedis(binary, args, port, dir);
        try {
          await waitUntilReady(child, port, options.password, readyTimeoutMs);
        } catch (error) {
          await child.stop(STOP_TIMEOUT_MS);
          const portTaken = /address already in use/i.test(child.output());
          if (options.port === undefined && portTaken && attempt < PORT_ATTEMPTS) continue;
          throw error;
        }
        return new RedisServer({
          binary,
          port,
          tempDir,
          password: options.password,
          args,
          readyTimeoutMs,
          process: child,
        });
      }
    } catch (error) {
      await tempDir.remove();
      throw error;
    }
  }

  /** Process id of the current redis-server (a new one after {@link restart}). */
  get pid(): number {
    return this.#process.pid;
  }

  /** False once the process has exited (killed, crashed or stopped). */
  get running(): boolean {
    return this.#process.running;
  }

  /** Everything redis-server printed, across restarts. */
  logs(): string {
    return this.#previousLogs + this.#process.output();
  }

  /**
   * Sends `signal` and resolves once the process has exited. SIGKILL (the default) simulates a
   * crash: whatever the AOF had not yet fsynced is lost. A shutdown signal is repeated until it
   * takes, since Redis refuses to shut down while writing its first AOF after a full sync.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (signal === 'SIGSTOP' || signal === 'SIGTSTP' || signal === 'SIGCONT') {
      throw new TypeError(`kill(${signal}) would never resolve: use pause() and resume()`);
    }
    if (!this.#process.running) return;
    if (signal === 'SIGKILL') {
      this.#process.kill(signal);
      await this.#process.exited;
    } else {
      // A frozen process only acts on a catchable signal once it runs again.
      if (this.#paused) this.resume();
      if (!(await signalUntilExit(this.#process, signal, KILL_TIMEOUT_MS))) {
        throw new Error(
          `redis-server on port ${this.port} still runs ${KILL_TIMEOUT_MS}ms after ${signal}:\n` +
            tailLines(this.#process.output()),
        );
      }
    }
    this.#paused = false;
  }

  /**
   * Starts redis-server again on the same port and folder, so it reloads its AOF, and resolves
   * once it answers PING. A server still running is shut down with SIGTERM first.
   */
  async restart(): Promise<void> {
    if (this.#stopping) throw new Error(`redis-server on port ${this.port} was stopped`);
    await this.kill('SIGTERM');
    this.#previousLogs = `${this.logs()}\n--- restart ---\n`;
    this.#process = spawnRedis(this.#binary, this.#args, this.port, this.dir);
    await waitUntilReady(this.#process, this.port, this.password, this.#readyTimeoutMs);
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void {
    this.#process.kill('SIGSTOP');
    this.#paused = this.#process.running;
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(): void {
    this.#process.kill('SIGCONT');
    this.#paused = false;
  }

  /** A new ioredis client for assertions; the caller disconnects it. */
  client(options: RedisOptions = {}): Redis {
    return new Redis({
      host: HOST,
      port: this.port,
      password: this.password,
      maxRetriesPerRequest: 1,
      ...options,
    });
  }

  /**
   * Shuts down with SIGTERM (SIGKILL after 5 s) and deletes the temp folder. Safe to call more
   * than once.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#paused) this.resume();
      if (!(await signalUntilExit(this.#process, 'SIGTERM', STOP_TIMEOUT_MS))) {
        this.#process.kill('SIGKILL');
        await this.#process.exited;
      }
      await this.#tempDir.remove();
    })();
    return this.#stopping;
  }
}

/** Sends `signal` until the process exits; false if it still runs after `timeoutMs`. */
async function signalUntilExit(
  child: ChildHandle,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (child.running) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    child.kill(signal);
    await Promise.race([child.exited, sleep(Math.min(RESEND_MS, remaining))]);
  }
  return true;
}

function serverArgs(
  port: number,
  dir: string,
  aclFile: string | undefined,
  options: RedisServerOptions,
): string[] {
  const appendonly = options.appendonly ?? true;
  const args = options.configFile === undefined ? [] : [options.configFile];
  args.push('--port', String(port), '--bind', HOST, '--dir', dir);
  args.push('--daemonize', 'no', '--protected-mode', 'no', '--logfile', '');
  // Only the AOF persists: an RDB snapshot forking mid-test would skew timings.
  args.push('--save', '', '--appendonly', appendonly ? 'yes' : 'no');
  if (appendonly) args.push('--appendfsync', 'everysec');
  if (aclFile !== undefined) args.push('--aclfile', aclFile);
  else if (options.password !== undefined) args.push('--requirepass', options.password);
  if (options.maxmemory !== undefined) args.push('--maxmemory', options.maxmemory);
  args.push('--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction');
  if (options.replicaOf !== undefined) {
    args.push('--replicaof', options.replicaOf.host, String(options.replicaOf.port));
  }
  if (options.masterAuth !== undefined) args.push('--masterauth', options.masterAuth);
  args.push(...(options.extraArgs ?? []));
  return args;
}

async function writeAclFile(dir: string, options: RedisServerOptions): Promise<string | undefined> {
  if (options.aclUsers === undefined) return undefined;
  const lines = [...options.aclUsers];
  const definesDefault = lines.some((line) => /^\s*user\s+default\b/.test(line));
  if (options.password !== undefined && !definesDefault) {
    lines.unshift(`user default on >${options.password} ~* &* +@all`);
  }
  const path = join(dir, 'users.acl');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

function spawnRedis(binary: string, args: string[], port: number, dir: string): ChildHandle {
  return spawnProcess(binary, args, { name: `redis-server:${port}`, cwd: dir });
}

/** Resolves once the server answers PING; rejects with its log tail if it exits first. */
async function waitUntilReady(
  child: ChildHandle,
  port: number,
  password: string | undefined,
  timeoutMs: number,
): Promise<void> {
  const gaveUp = new AbortController();
  void child.exited.then(({ code, signal }) => {
    const tail = tailLines(child.output());
    gaveUp.abort(
      new Error(
        `redis-server on port ${port} exited (${signal ?? `code ${code}`}) before it was ready:\n${tail}`,
      ),
    );
  });
  try {
    await waitFor(() => withRedisClient({ host: HOST, port, password }, answersPing), {
      description: `redis-server on port ${port} to answer PING`,
      timeoutMs,
      signal: gaveUp.signal,
    });
  } catch (error) {
    if (!gaveUp.signal.aborted) throw error;
    throw gaveUp.signal.reason;
  }
}

async function answersPing(client: Redis): Promise<boolean> {
  try {
    return (await client.ping()) === 'PONG';
  } catch (error) {
    // Refusing us for lack of credentials still proves the server is up and serving (an ACL that
    // disables `default`); LOADING and connection errors do not.
    if (error instanceof Error && /^(NOAUTH|WRONGPASS|NOPERM)/.test(error.message)) return true;
    throw error;
  }
}

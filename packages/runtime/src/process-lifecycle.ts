import type { EventEmitter } from 'node:events';
import {
  closeRedisConnection,
  MIN_REDIS_VERSION,
  onCredentialsRejected,
  type RedisConnection,
} from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import { checkRedisAtStart } from './check-redis-at-start.js';
import { logRedisErrors } from './log-redis-errors.js';
import { settleWithin } from './settle-within.js';
import { signalExitCode } from './signal-exit-code.js';
import { waitForConnections } from './wait-for-connections.js';

/** Longest wait for the connections to close once the app has stopped. */
const CLOSE_TIMEOUT_MS = 3000;

/** Options for {@link ProcessLifecycle}. */
export interface ProcessLifecycleOptions {
  logger: Logger;
  /**
   * The process's Redis connections by role. Each gets its outages logged and its credentials
   * watched from construction on; all are closed after the app has stopped.
   */
  connections: Readonly<Record<string, RedisConnection>>;
  /**
   * The role of the connection whose Redis is checked (version, eviction policy) once it is
   * first ready.
   * @defaultValue `'admin'` when there is one, else the first connection
   */
  checkRole?: string;
  /**
   * How long {@link ProcessLifecycle.run} waits for every connection before starting the app.
   * Whatever the outcome the app starts; when Redis answered in time its check completes first.
   * @defaultValue 0 (start at once)
   */
  waitForConnectionsMs?: number;
  /**
   * What a Redis older than BullMQ's minimum does: `'exit'` stops the process with exit code 1
   * (gracefully if the app already started), `'report'` leaves it to `/readyz` (503).
   * @defaultValue 'exit'
   */
  onRedisTooOld?: 'exit' | 'report';
  /** Upper bound of the Redis check at start. @defaultValue 3000 */
  checkTimeoutMs?: number;
  /**
   * Longest a graceful stop may take before the process exits 1 anyway.
   * @defaultValue no limit (the app bounds its own stop)
   */
  stopTimeoutMs?: number;
  /**
   * Whether a signal during the shutdown exits at once. A process whose parent owns the signals
   * (a process of a multi-process API) turns this off: a terminal's Ctrl-C reaches it as well
   * as its parent, and is not a second signal.
   * @defaultValue true
   */
  secondSignalExits?: boolean;
  /**
   * Runs before an exit for a reason a restart cannot fix (Redis refused the credentials, or is
   * too old), with its one-line reason: e.g. to tell a supervising parent not to restart.
   * @defaultValue nothing
   */
  onPermanentFailure?: (reason: string) => Promise<void>;
  /** Ends the process. @defaultValue `process.exit` */
  exit?: (code: number) => void;
  /** Where signals and uncaught errors arrive. @defaultValue `process` */
  processEvents?: EventEmitter;
}

/** The app a {@link ProcessLifecycle} runs. */
export interface LifecycleApp {
  /** Brings the app into service: listen, start consuming. A rejection exits 1. */
  start(): Promise<void>;
  /**
   * Stops the app gracefully (finish in-flight work, close what it opened except the
   * connections) and resolves the exit code.
   * @defaultValue exit code 0 when it resolves nothing
   */
  stop(reason: string): Promise<number | undefined>;
}

/**
 * Runs one Conveyor process from start to exit, the same way for the API, workers and the
 * dashboard.
 *
 * Responsibilities:
 * - log each Redis connection's outages once, and exit 1 with one readable line when Redis
 *   refuses the credentials (they never fix themselves);
 * - check Redis once it first answers: problems and warnings are logged, a server too old exits 1
 *   or is left to `/readyz`, as configured;
 * - optionally wait for the connections, then start the app;
 * - on the first SIGTERM or SIGINT stop the app, close the connections and exit with the app's
 *   code (0 after a clean stop); on a second signal exit at once with 128 + the signal's number,
 *   as shells do;
 * - exit 1 on an uncaught exception or unhandled rejection, so a supervisor restarts the process.
 */
export class ProcessLifecycle {
  readonly #options: ProcessLifecycleOptions;
  readonly #logger: Logger;
  readonly #exit: (code: number) => void;
  readonly #checked: RedisConnection;
  #app: LifecycleApp | undefined;
  #started = false;
  #stopping = false;
  #ended = false;
  #failing = false;

  constructor(options: ProcessLifecycleOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    const entries = Object.entries(options.connections);
    const checked =
      options.connections[options.checkRole ?? 'admin'] ?? (entries[0]?.[1] as RedisConnection);
    if (!checked) throw new Error('ProcessLifecycle needs at least one Redis connection');
    this.#checked = checked;
    for (const [role, connection] of entries) {
      logRedisErrors(connection, role, this.#logger);
      onCredentialsRejected(
        connection,
        (error) => void this.#fatal(error.message, { code: error.code, permanent: true }),
      );
    }
    const events = options.processEvents ?? process;
    events.on(
      'uncaughtException',
      (error: unknown) => void this.#fatal('uncaught exception; exiting', { error }),
    );
    events.on(
      'unhandledRejection',
      (reason: unknown) => void this.#fatal('unhandled rejection; exiting', { error: reason }),
    );
  }

  /** True once a shutdown began. */
  get isStopping(): boolean {
    return this.#stopping;
  }

  /**
   * Handles SIGTERM and SIGINT, waits for the connections if configured, checks Redis, and starts
   * `app`. Resolves once the app started (or the process is exiting).
   */
  async run(app: LifecycleApp): Promise<void> {
    this.#app = app;
    const { waitForConnectionsMs = 0 } = this.#options;
    const events = this.#options.processEvents ?? process;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      events.on(signal, () => this.#onSignal(signal));
    }
    if (waitForConnectionsMs > 0) {
      const ready = await waitForConnections(
        Object.values(this.#options.connections),
        waitForConnectionsMs,
      ).catch(() => true); // refused credentials: the watch set up at construction exits
      if (!ready) this.#logger.warn('Redis is not reachable yet; starting anyway');
    }
    if (this.#ended) return;
    const check = this.#checkWhenReady();
    // A Redis that already answers is checked before the app starts: never serve on one too old.
    if (this.#checked.status === 'ready') await check;
    if (this.#ended || this.#stopping) return;
    try {
      await app.start();
      this.#started = true;
    } catch (error) {
      await this.#fatal(`failed to start: ${(error as Error).message}`, { error });
    }
  }

  /**
   * Stops the app gracefully, closes the connections and exits with `exitCode`, or else the
   * app's code. Later calls do nothing.
   */
  async stop(reason: string, exitCode?: number): Promise<void> {
    if (this.#stopping || this.#ended) return;
    this.#stopping = true;
    const { stopTimeoutMs } = this.#options;
    this.#logger.info({ reason }, 'shutting down');
    const deadline =
      stopTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            this.#logger.error({ stopTimeoutMs }, 'shutdown took too long: exiting');
            this.#end(1);
          }, stopTimeoutMs).unref();
    let code = exitCode ?? 0;
    try {
      const appCode = this.#app && this.#started ? await this.#app.stop(reason) : undefined;
      code = exitCode ?? appCode ?? 0;
    } catch (error) {
      this.#logger.fatal({ err: error }, 'shutdown failed');
      code = 1;
    }
    await this.#closeConnections();
    clearTimeout(deadline);
    this.#logger.info({ exitCode: code }, 'stopped');
    this.#end(code);
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (!this.#stopping) {
      void this.stop(signal);
      return;
    }
    if (this.#options.secondSignalExits === false) return;
    const code = signalExitCode(signal);
    this.#logger.warn({ signal, exitCode: code }, 'second signal: exiting now');
    this.#end(code);
  }

  /** Checks Redis the first time the checked connection is ready; applies `onRedisTooOld`. */
  async #checkWhenReady(): Promise<void> {
    const connection = this.#checked;
    if (connection.status !== 'ready') {
      await new Promise<void>((resolve) => connection.once('ready', () => resolve()));
    }
    if (this.#ended) return;
    const report = await checkRedisAtStart(
      connection,
      this.#logger,
      this.#options.checkTimeoutMs ?? 3000,
    );
    const { tooOld } = report;
    if (!tooOld || this.#options.onRedisTooOld === 'report') return;
    const reason = `Redis ${tooOld.version} at ${tooOld.address} is too old: Conveyor needs Redis ${MIN_REDIS_VERSION} or newer`;
    if (this.#started) {
      this.#logger.fatal({ version: tooOld.version, address: tooOld.address }, reason);
      await this.#options.onPermanentFailure?.(reason).catch(() => undefined);
      await this.stop('redis too old', 1);
    } else await this.#fatal(reason, { permanent: true });
  }

  /** Logs `reason` as the one fatal line, tells `onPermanentFailure` if permanent, exits 1. */
  async #fatal(
    reason: string,
    details: { code?: string; error?: unknown; permanent?: boolean } = {},
  ): Promise<void> {
    if (this.#ended || this.#failing) return;
    this.#failing = true;
    const { code, error, permanent = false } = details;
    this.#logger.fatal({ ...(code ? { code } : {}), ...(error ? { err: error } : {}) }, reason);
    if (permanent) await this.#options.onPermanentFailure?.(reason).catch(() => undefined);
    this.#end(1);
  }

  async #closeConnections(): Promise<void> {
    await settleWithin(
      Promise.allSettled(Object.values(this.#options.connections).map(closeRedisConnection)),
      CLOSE_TIMEOUT_MS,
    );
  }

  #end(code: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#exit(code);
  }
}

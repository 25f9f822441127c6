import cluster, { type Worker } from 'node:cluster';
import { signalExitCode } from '@conveyor/runtime';
import type { Logger } from '@conveyor/telemetry';
import { AggregatorRegistry } from 'prom-client';
import { type ClusterMessage, isClusterMessage } from './cluster-message.js';
import { withGcFlags } from './gc-flags.js';

/** Restarts of a crashed process wait this long, doubling up to {@link MAX_RESTART_DELAY_MS}. */
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A process that ran this long before it crashed restarts after the first delay again. */
const STABLE_AFTER_MS = 30_000;

/** Options for {@link ApiSupervisor}. */
export interface ApiSupervisorOptions {
  /** How many HTTP processes to run. */
  processes: number;
  logger: Logger;
  /** How long the processes get to drain after SIGTERM before they are killed. */
  shutdownTimeoutMs: number;
  /**
   * The node options the processes inherit (`NODE_OPTIONS`, read by the entry point): a GC flag
   * an operator set there wins over {@link withGcFlags}'s.
   * @defaultValue none
   */
  nodeOptions?: string;
  /**
   * Ends the primary.
   * @defaultValue `process.exit`
   */
  exit?: (code: number) => void;
}

interface Slot {
  worker: Worker;
  startedAt: number;
  /** True once the process listens: a process that exits before it ever did cannot start. */
  listening: boolean;
  /** Set when the process said it exits for a reason a restart cannot fix. */
  fatal?: string;
}

/**
 * The primary of a multi-process API (`API_PROCESSES` > 1): the HTTP processes share the port
 * through Node's `cluster`, and this process serves no request itself.
 *
 * Responsibilities:
 * - fork the processes (with the GC flags of `API_GC_FLAGS`), and replace one that dies while
 *   the API runs (with backoff);
 * - stop everything with exit 1 when a process says its reason is fatal, or fails before any
 *   process ever listened: bad credentials or a taken port do not fix themselves, and restarts
 *   would only repeat the error;
 * - on SIGTERM/SIGINT tell every process to drain (over IPC: a terminal's Ctrl-C also reaches
 *   them directly, and would count as their second signal), kill what outlives the timeout, exit
 *   0; a second signal kills them at once and exits 128 + its number;
 * - answer `/metrics` with the sum over every process (prom-client's cluster aggregation), so a
 *   scrape does not depend on which process the connection landed on.
 */
export class ApiSupervisor {
  readonly #options: ApiSupervisorOptions;
  readonly #slots = new Map<number, Slot>();
  readonly #aggregator = new AggregatorRegistry();
  readonly #exit: (code: number) => void;
  #stopping = false;
  #exitCode = 0;
  #restartDelayMs = FIRST_RESTART_DELAY_MS;
  /** True once any process listened: the API started, and later crashes are replaced. */
  #started = false;

  constructor(options: ApiSupervisorOptions) {
    this.#options = options;
    this.#exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Forks the processes and handles signals until they have all exited. */
  start(): void {
    const { logger, processes } = this.#options;
    cluster.on('message', (worker, message: unknown) => this.#onMessage(worker, message));
    cluster.on('listening', (worker) => {
      const slot = this.#slots.get(worker.id);
      if (slot) slot.listening = true;
      this.#started = true;
    });
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => this.stop(signal, 0));
    }
    cluster.setupPrimary({
      execArgv: withGcFlags(process.execArgv, this.#options.nodeOptions ?? ''),
    });
    logger.info({ processes }, 'starting API processes');
    for (let index = 0; index < processes; index++) this.#fork();
  }

  /** Asks every process to drain and exits with `exitCode` once they have. */
  stop(reason: string, exitCode: number): void {
    const { logger, shutdownTimeoutMs } = this.#options;
    if (this.#stopping) {
      logger.warn({ reason }, 'second signal: killing the API processes');
      for (const { worker } of this.#slots.values()) worker.process.kill('SIGKILL');
      this.#exit(signalExitCode(reason));
      return;
    }
    this.#stopping = true;
    this.#exitCode = exitCode;
    logger.info({ reason, processes: this.#slots.size }, 'stopping the API processes');
    for (const { worker } of this.#slots.values()) this.#send(worker, { type: 'conveyor:stop' });
    // Each process has its own SHUTDOWN_TIMEOUT_MS; this only covers one that hangs past it.
    setTimeout(() => {
      for (const { worker } of this.#slots.values()) worker.process.kill('SIGKILL');
    }, shutdownTimeoutMs + 5000).unref();
    this.#exitWhenAllGone();
  }

  #fork(): void {
    const worker = cluster.fork();
    this.#slots.set(worker.id, { worker, startedAt: Date.now(), listening: false });
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.#slots.get(worker.id);
    this.#slots.delete(worker.id);
    const { logger } = this.#options;
    if (!slot) return;
    if (this.#stopping) {
      if (code !== 0) this.#exitCode = 1;
      this.#exitWhenAllGone();
      return;
    }
    const pid = worker.process.pid;
    if (slot.fatal !== undefined || !(slot.listening || this.#started)) {
      const reason = slot.fatal ?? 'an API process failed to start';
      logger.fatal({ childPid: pid, code, signal, reason }, 'an API process cannot run; stopping');
      this.stop(reason, 1);
      return;
    }
    if (Date.now() - slot.startedAt > STABLE_AFTER_MS)
      this.#restartDelayMs = FIRST_RESTART_DELAY_MS;
    const delayMs = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(delayMs * 2, MAX_RESTART_DELAY_MS);
    logger.error(
      { childPid: pid, code, signal, restartInMs: delayMs },
      'an API process died; replacing it',
    );
    setTimeout(() => {
      if (!this.#stopping) this.#fork();
    }, delayMs);
  }

  #exitWhenAllGone(): void {
    if (this.#slots.size > 0) return;
    this.#options.logger.info({ exitCode: this.#exitCode }, 'all API processes stopped');
    this.#exit(this.#exitCode);
  }

  #onMessage(worker: Worker, message: unknown): void {
    if (!isClusterMessage(message)) return;
    if (message.type === 'conveyor:fatal') {
      const slot = this.#slots.get(worker.id);
      if (slot) slot.fatal = message.reason;
      return;
    }
    if (message.type !== 'conveyor:metrics-request') return;
    const { requestId } = message;
    this.#aggregator.clusterMetrics().then(
      (text) => this.#send(worker, { type: 'conveyor:metrics-response', requestId, text }),
      (error: Error) =>
        this.#send(worker, {
          type: 'conveyor:metrics-response',
          requestId,
          error: error.message,
        }),
    );
  }

  #send(worker: Worker, message: ClusterMessage): void {
    // A process that is exiting may have closed its channel; it no longer needs the message.
    if (worker.isConnected()) worker.send(message);
  }
}

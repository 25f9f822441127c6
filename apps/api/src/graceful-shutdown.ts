import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '@conveyor/telemetry';
import { isClusterMessage } from './cluster/cluster-message.js';

/** How often idle keep-alive connections are closed while draining. */
const IDLE_SWEEP_MS = 100;

/** Options for {@link GracefulShutdown}. */
export interface GracefulShutdownOptions {
  server: Server;
  logger: Logger;
  /** How long in-flight requests may take before their connections are cut. */
  timeoutMs: number;
  /**
   * Runs as the shutdown begins, before HTTP drains: ends long answers (waits, event streams).
   * @defaultValue nothing
   */
  beforeDrain?: () => void;
  /** Closes what the process opened (queues, connections) once HTTP has drained. */
  closeResources: () => Promise<void>;
  /**
   * Ends the process.
   * @defaultValue `process.exit`
   */
  exit?: (code: number) => void;
}

/**
 * Stops the API cleanly on SIGTERM or SIGINT.
 *
 * Responsibilities:
 * - stop accepting connections and tell in-flight answers to close theirs;
 * - let in-flight requests finish, cutting them after the timeout;
 * - close the resources, then exit 0 (or the code given);
 * - exit at once (code 1) on a second signal.
 */
export class GracefulShutdown {
  private stopping = false;
  private readonly inFlight = new Set<ServerResponse>();
  private readonly exit: (code: number) => void;

  constructor(private readonly options: GracefulShutdownOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
    options.server.on('request', (_req, res: ServerResponse) => {
      this.inFlight.add(res);
      res.once('close', () => this.inFlight.delete(res));
    });
  }

  /** True once a shutdown began. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Handles SIGTERM and SIGINT. */
  listen(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.stopping) {
          this.options.logger.warn({ signal }, 'second signal: exiting now');
          this.exit(1);
          return;
        }
        void this.stop(signal, 0);
      });
    }
  }

  /**
   * Handles the stop request of the primary of a multi-process API (`API_PROCESSES` > 1), which
   * owns the signals: a signal sent to this process as well (a terminal's Ctrl-C reaches the whole
   * process group) starts the same single shutdown rather than counting as a second one. A process
   * whose primary is gone stops too.
   */
  listenToPrimary(): void {
    process.on('message', (message: unknown) => {
      if (isClusterMessage(message) && message.type === 'conveyor:stop') {
        void this.stop('asked by the primary process', 0);
      }
    });
    process.on('disconnect', () => void this.stop('the primary process is gone', 1));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => void this.stop(signal, 0));
    }
  }

  /** Drains HTTP, closes the resources and exits with `exitCode`. */
  async stop(reason: string, exitCode: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { server, logger, timeoutMs } = this.options;
    logger.info(
      { reason, timeoutMs },
      'shutting down: no new connections, finishing in-flight requests',
    );
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    this.options.beforeDrain?.();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A keep-alive connection becomes idle once its last answer is written; close it then.
    const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      logger.warn('in-flight requests outlived SHUTDOWN_TIMEOUT_MS; closing their connections');
      server.closeAllConnections();
    }, timeoutMs);
    await drained;
    clearInterval(sweeper);
    clearTimeout(deadline);
    await this.options.closeResources();
    logger.info('stopped');
    this.exit(exitCode);
  }
}

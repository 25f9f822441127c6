import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '@conveyor/telemetry';

/** How often idle keep-alive connections are closed while draining. */
const IDLE_SWEEP_MS = 100;

/** Options for {@link HttpDrain}. */
export interface HttpDrainOptions {
  server: Server;
  logger: Logger;
  /** How long in-flight requests may take before their connections are cut. */
  timeoutMs: number;
}

/**
 * Drains the API's HTTP server when the process stops (the process lifecycle decides when).
 *
 * Responsibilities:
 * - stop accepting connections and tell in-flight answers to close theirs;
 * - let in-flight requests finish, cutting them after the timeout.
 */
export class HttpDrain {
  readonly #inFlight = new Set<ServerResponse>();
  readonly #options: HttpDrainOptions;

  constructor(options: HttpDrainOptions) {
    this.#options = options;
    options.server.on('request', (_req, res: ServerResponse) => {
      this.#inFlight.add(res);
      res.once('close', () => this.#inFlight.delete(res));
    });
  }

  /** Resolves once the server is closed and every in-flight request answered or cut. */
  async drain(): Promise<void> {
    const { server, logger, timeoutMs } = this.#options;
    logger.info({ timeoutMs }, 'no new connections, finishing in-flight requests');
    for (const res of this.#inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
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
  }
}

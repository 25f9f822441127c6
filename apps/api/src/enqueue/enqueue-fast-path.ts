import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@conveyor/telemetry';
import { writeError } from '../http/error-handler.js';
import type { RequestGuard } from '../http/request-guard.js';
import type { RequestLogger } from '../http/request-logger.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import { ENQUEUE_ROUTE, type EnqueueHandler } from './enqueue-handler.js';

/** The canonical form of the route; anything else (case, slashes, encoding) goes to Express. */
const ENQUEUE_PATH = /^\/v1\/queues\/([a-z0-9-]{1,64})\/jobs$/;

/** What {@link createEnqueueFastPath} runs, the same functions the Express app runs. */
export interface EnqueueFastPathOptions {
  /** The enqueue handler the Express route runs too. */
  handler: EnqueueHandler;
  /** Authentication and rate limit, in order. */
  guards: readonly RequestGuard[];
  /** The app's request metrics (the route label is the template). */
  metrics: RequestMetrics;
  /** The app's pino-http middleware. */
  requestLogger: RequestLogger;
  /** For errors logged outside a request logger. */
  logger: Logger;
  /** When true, answers close their connection. */
  isShuttingDown: () => boolean;
}

/**
 * Serves `POST /v1/queues/:queue/jobs`, the hot path, without Express: Express's per-request
 * setup (prototype swaps, router walk) costs more CPU than storing the job does. Everything else
 * is the same code the Express app runs: the request logger, metrics, guards, handler and error
 * writer. Returns false for any other request, which the Express app then serves.
 */
export function createEnqueueFastPath(
  options: EnqueueFastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const route = () => ENQUEUE_ROUTE;

  async function serve(req: IncomingMessage, res: ServerResponse, queue: string): Promise<void> {
    try {
      for (const guard of options.guards) guard(req, res);
      await options.handler(req, res, queue);
    } catch (error) {
      writeError(req, res, error, options.logger);
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const queue = ENQUEUE_PATH.exec(req.url ?? '')?.[1];
    if (queue === undefined) return false;
    options.metrics.track(req, res, route);
    options.requestLogger(req, res);
    if (options.isShuttingDown()) res.setHeader('connection', 'close');
    void serve(req, res, queue);
    return true;
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@conveyor/telemetry';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import { writeError } from './error-handler.js';
import type { RequestGuard } from './request-guard.js';
import type { RequestLogger } from './request-logger.js';

/** A hot route served without Express; the Express app registers the same handler too. */
export interface FastRoute {
  method: 'GET' | 'POST';
  /**
   * The canonical form of the path (query string apart); anything else (case, slashes,
   * encoding) goes to Express. Its first group, if any, is passed to `handle`.
   */
  path: RegExp;
  /** The route's template, as Express matches it and metrics label it. */
  template: string;
  /** Serves the request once the guards passed; `query` is the raw query string, without `?`. */
  handle: (
    req: IncomingMessage,
    res: ServerResponse,
    param: string,
    query: string,
  ) => Promise<void>;
}

/** What {@link createFastPath} runs, the same functions the Express app runs. */
export interface FastPathOptions {
  routes: readonly FastRoute[];
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
 * Serves the hot routes (enqueue, search) without Express: Express's per-request setup
 * (prototype swaps, router walk past every route registered before) costs more CPU than a
 * Redis round trip does. Everything else is the same code the Express app runs: the request
 * logger, metrics, guards, handler and error writer. Returns false for any other request, which
 * the Express app then serves.
 */
export function createFastPath(
  options: FastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const templates = new Map(options.routes.map((route) => [route, () => route.template]));

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: FastRoute,
    param: string,
    query: string,
  ): Promise<void> {
    try {
      for (const guard of options.guards) guard(req, res);
      await route.handle(req, res, param, query);
    } catch (error) {
      writeError(req, res, error, options.logger);
    }
  }

  return (req, res) => {
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    for (const route of options.routes) {
      if (req.method !== route.method) continue;
      const matched = route.path.exec(path);
      if (matched === null) continue;
      options.metrics.track(req, res, templates.get(route) as () => string);
      options.requestLogger(req, res);
      if (options.isShuttingDown()) res.setHeader('connection', 'close');
      void serve(req, res, route, matched[1] ?? '', mark < 0 ? '' : url.slice(mark + 1));
      return true;
    }
    return false;
  };
}

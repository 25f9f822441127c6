import type { FastRoute } from '../http/fast-path.js';
import { ENQUEUE_ROUTE, type EnqueueHandler } from './enqueue-handler.js';

/**
 * `POST /v1/queues/:queue/jobs`, the hot path, on the fast path (`createFastPath`): Express's
 * per-request setup costs more CPU than storing the job does.
 */
export function enqueueFastRoute(handler: EnqueueHandler): FastRoute {
  return {
    method: 'POST',
    path: /^\/v1\/queues\/([a-z0-9-]{1,64})\/jobs$/,
    template: ENQUEUE_ROUTE,
    handle: (req, res, queue) => handler(req, res, queue),
  };
}

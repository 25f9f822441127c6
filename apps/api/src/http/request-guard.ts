import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * A check run before a `/v1` handler (authentication, rate limit): it throws to refuse the
 * request. Plain Node types, so Express routes and the enqueue fast path run the same checks.
 */
export type RequestGuard = (req: IncomingMessage, res: ServerResponse) => void;

/** Runs `guards` in order as one Express middleware. */
export function guardMiddleware(guards: readonly RequestGuard[]): RequestHandler {
  return (req, res, next) => {
    try {
      for (const guard of guards) guard(req, res);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}

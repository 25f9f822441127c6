import type { RequestHandler } from 'express';

/**
 * Answers 503 with `Retry-After` when a request has not been answered within `timeoutMs`. BullMQ
 * queues wait for their connection instead of failing while Redis is unreachable, so without a
 * deadline Bull Board's API calls would hang for as long as Redis is down.
 */
export function responseDeadline(timeoutMs: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res
        .status(503)
        .set('Retry-After', '5')
        .json({
          error: { code: 'REDIS_UNAVAILABLE', message: 'Redis did not answer in time; try again' },
        });
    }, timeoutMs);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

import type { Logger } from '@conveyor/telemetry';
import type { RequestHandler } from 'express';
import { requestPath } from './request-path.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One log line per request, written when the response is finished. Only method, path, status,
 * duration and the signed-in user name are logged, never headers or the query string. Mutating requests (retry,
 * clean, promote…) are logged at `info` as an audit trail of operator actions; Bull Board's
 * polling GETs at `debug`, so they do not drown everything else; server errors at `error`.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const line = {
        method: req.method,
        path: requestPath(req),
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        user: typeof res.locals.user === 'string' ? res.locals.user : undefined,
      };
      if (res.statusCode >= 500) logger.error(line, 'request failed');
      else if (!READ_METHODS.has(req.method)) logger.info(line, 'dashboard action');
      else logger.debug(line, 'request');
    });
    next();
  };
}

import type { Request } from 'express';

/**
 * The request's full path without its query string, for logs: a query can carry a secret
 * (`?access_token=…`) that a log must never keep.
 */
export function requestPath(req: Request): string {
  const query = req.originalUrl.indexOf('?');
  return query < 0 ? req.originalUrl : req.originalUrl.slice(0, query);
}

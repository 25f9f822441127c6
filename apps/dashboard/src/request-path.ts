import { pathWithoutQuery } from '@conveyor/telemetry';
import type { Request } from 'express';

/** The request's full path (under any mount point) without its query string, for logs. */
export function requestPath(req: Request): string {
  return pathWithoutQuery(req.originalUrl);
}

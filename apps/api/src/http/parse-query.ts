import type { Request } from 'express';
import type { z } from 'zod';
import { InvalidRequestError } from '../errors/invalid-request-error.js';

/**
 * The request's query string parsed with `schema`.
 * @throws InvalidRequestError (HTTP 400) naming each failing parameter as `query.<name>`
 */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const parsed = schema.safeParse(req.query);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(
    parsed.error.issues.map((issue) => ({
      path: ['query', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

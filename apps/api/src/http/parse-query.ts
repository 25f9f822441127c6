import type { z } from 'zod';
import { InvalidRequestError } from '../errors/invalid-request-error.js';

/**
 * A query string parsed with `schema`: Express's `req.query`, or the fast path's own parse.
 * @throws InvalidRequestError (HTTP 400) naming each failing parameter as `query.<name>`
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(
    parsed.error.issues.map((issue) => ({
      path: ['query', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

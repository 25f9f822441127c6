import type { IncomingMessage } from 'node:http';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { idempotencyKeySchema } from '../http/http-schemas.js';

/** The request's `Idempotency-Key` header, validated, or undefined. */
export function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(header);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError([
    { path: 'headers.idempotency-key', message: parsed.error.issues[0]?.message ?? 'invalid' },
  ]);
}

import type { ServerResponse } from 'node:http';
import { clientOf } from '../auth/authenticated-client.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import type { RequestGuard } from '../http/request-guard.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Counts `count` units against the authenticated client's minute, or throws
 * {@link RateLimitedError} (429 with `Retry-After`) when they do not fit.
 */
export function chargeRateLimit(limiter: RateLimiter, res: ServerResponse, count: number): void {
  const client = clientOf(res);
  if (client === undefined) throw new Error('the rate limit must run after authentication');
  const decision = limiter.take(client, count);
  if (!decision.allowed) {
    throw new RateLimitedError(decision.limitPerMinute, decision.retryAfterSeconds);
  }
}

/**
 * Refuses with 429 and `Retry-After` once the authenticated client has used up its minute. Each
 * request counts one; a bulk's other jobs are charged once it is parsed (`chargeRateLimit`).
 */
export function rateLimitGuard(limiter: RateLimiter): RequestGuard {
  return (_req, res) => chargeRateLimit(limiter, res, 1);
}

import { clientOf } from '../auth/authenticated-client.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import type { RequestGuard } from '../http/request-guard.js';
import type { RateLimiter } from './rate-limiter.js';

/** Refuses with 429 and `Retry-After` once the authenticated client has used up its minute. */
export function rateLimitGuard(limiter: RateLimiter): RequestGuard {
  return (_req, res) => {
    const client = clientOf(res);
    if (client === undefined) throw new Error('the rate limit must run after authentication');
    const decision = limiter.take(client);
    if (!decision.allowed) {
      throw new RateLimitedError(decision.limitPerMinute, decision.retryAfterSeconds);
    }
  };
}

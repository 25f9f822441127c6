import type { IncomingMessage } from 'node:http';
import { AuthThrottledError } from '../errors/auth-throttled-error.js';
import { UnauthorizedError } from '../errors/unauthorized-error.js';
import type { RequestGuard } from '../http/request-guard.js';
import type { AuthFailureThrottle } from './auth-failure-throttle.js';
import { setAuthenticatedClient } from './authenticated-client.js';
import type { TokenMatcher } from './token-matcher.js';

const BEARER = /^Bearer +(\S+) *$/i;

/** How {@link bearerAuth} counts wrong secrets. */
export interface BearerAuthThrottling {
  /** Counts failures per key and refuses a key over its limit. */
  throttle: AuthFailureThrottle;
  /** The key a request's failures count under: its client's address (behind trusted proxies). */
  keyOf: (req: IncomingMessage) => string;
}

/**
 * Requires `Authorization: Bearer <secret>` with a configured secret, and records the client's
 * name for logs, metrics and the rate limit. With `throttling`, a wrong secret counts against its
 * source address, and an address over the limit is refused (429) before its secret is checked.
 */
export function bearerAuth(matcher: TokenMatcher, throttling?: BearerAuthThrottling): RequestGuard {
  return (req, res) => {
    const throttle = throttling?.throttle;
    const address = throttling?.keyOf(req) ?? '';
    if (throttle !== undefined) {
      const decision = throttle.check(address);
      if (!decision.allowed) throw new AuthThrottledError(decision.retryAfterSeconds);
    }
    const header = req.headers.authorization;
    if (header === undefined) throw new UnauthorizedError('the Authorization header is missing');
    const secret = BEARER.exec(header)?.[1];
    const client = secret === undefined ? undefined : matcher.match(secret);
    if (client === undefined) {
      throttle?.fail(address);
      throw new UnauthorizedError('the bearer token is not valid');
    }
    setAuthenticatedClient(res, client);
  };
}

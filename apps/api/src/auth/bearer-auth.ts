import { UnauthorizedError } from '../errors/unauthorized-error.js';
import type { RequestGuard } from '../http/request-guard.js';
import { setAuthenticatedClient } from './authenticated-client.js';
import type { TokenMatcher } from './token-matcher.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Requires `Authorization: Bearer <secret>` with a configured secret, and records the client's
 * name for logs, metrics and the rate limit.
 */
export function bearerAuth(matcher: TokenMatcher): RequestGuard {
  return (req, res) => {
    const header = req.headers.authorization;
    if (header === undefined) throw new UnauthorizedError('the Authorization header is missing');
    const secret = BEARER.exec(header)?.[1];
    const client = secret === undefined ? undefined : matcher.match(secret);
    if (client === undefined) throw new UnauthorizedError('the bearer token is not valid');
    setAuthenticatedClient(res, client);
  };
}

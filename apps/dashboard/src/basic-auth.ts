import { timingSafeEqual } from 'node:crypto';
import { addressKey } from '@conveyor/runtime';
import type { Logger } from '@conveyor/telemetry';
import type { RequestHandler } from 'express';
import type { DashboardCredentials } from './dashboard-config.js';
import { FailureThrottle } from './failure-throttle.js';
import { requestPath } from './request-path.js';
import { sha256Digest } from './sha256-digest.js';

/** Options for {@link basicAuth}. */
export interface BasicAuthOptions {
  /** The one account allowed in. */
  credentials: DashboardCredentials;
  /** Where rejected credentials are reported (never the password itself). */
  logger: Logger;
  /**
   * Realm shown by the browser's login prompt.
   * @defaultValue 'Conveyor dashboard'
   */
  realm?: string;
  /**
   * Counts wrong credentials per source address and refuses an address that had too many.
   * @defaultValue a {@link FailureThrottle} with its defaults (10 failures a minute)
   */
  throttle?: FailureThrottle;
}

/** Splits an `Authorization: Basic …` header into user and password; undefined when malformed. */
function parseBasicHeader(header: string | undefined): DashboardCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP Basic authentication for everything mounted after it. Both sides are hashed with SHA-256
 * and compared with `timingSafeEqual`, so neither the length nor the content of the secrets leaks
 * through response timing; both comparisons always run. A 401 carries `WWW-Authenticate` so
 * browsers show their login prompt. The signed-in user is left in `res.locals.user` for logs.
 *
 * Wrong credentials are counted per source address, `req.ip` (behind the proxies `trust proxy`
 * names) keyed by {@link addressKey} (an IPv6 client by its /64); a request without any is the
 * browser asking for the prompt and is not counted. An address over the limit is answered 429 with
 * `Retry-After` before its credentials are even looked at, right ones included: otherwise a
 * guesser would still learn which password is right. A success does not clear the count, or an
 * operator's polling browser behind the same NAT or proxy would keep resetting a guesser's.
 * Behind a reverse proxy not named in `TRUST_PROXY` every client shares the proxy's address,
 * and with it one budget.
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const expectedUser = sha256Digest(options.credentials.username);
  const expectedPassword = sha256Digest(options.credentials.password);
  const challenge = `Basic realm="${options.realm ?? 'Conveyor dashboard'}", charset="UTF-8"`;
  const throttle = options.throttle ?? new FailureThrottle();

  return (req, res, next) => {
    const source = addressKey(req.ip);
    const blockedForMs = throttle.blockedForMs(source);
    if (blockedForMs > 0) {
      res
        .status(429)
        .set('Retry-After', String(Math.ceil(blockedForMs / 1000)))
        .set('Cache-Control', 'no-store')
        .type('text/plain')
        .send('Too many failed logins; try again later');
      return;
    }
    const given = parseBasicHeader(req.headers.authorization);
    const userMatches = timingSafeEqual(sha256Digest(given?.username ?? ''), expectedUser);
    const passwordMatches = timingSafeEqual(sha256Digest(given?.password ?? ''), expectedPassword);
    if (given && userMatches && passwordMatches) {
      res.locals.user = given.username;
      next();
      return;
    }
    if (req.headers.authorization !== undefined) {
      throttle.recordFailure(source);
      options.logger.warn(
        { remoteAddress: req.ip, method: req.method, path: requestPath(req) },
        'dashboard login rejected',
      );
    }
    res
      .status(401)
      .set('WWW-Authenticate', challenge)
      .set('Cache-Control', 'no-store')
      .type('text/plain')
      .send('Authentication required');
  };
}

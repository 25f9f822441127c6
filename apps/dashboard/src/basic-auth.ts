import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@conveyor/telemetry';
import type { RequestHandler } from 'express';
import type { DashboardCredentials } from './dashboard-config.js';
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
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const expectedUser = sha256Digest(options.credentials.username);
  const expectedPassword = sha256Digest(options.credentials.password);
  const challenge = `Basic realm="${options.realm ?? 'Conveyor dashboard'}", charset="UTF-8"`;

  return (req, res, next) => {
    const given = parseBasicHeader(req.headers.authorization);
    const userMatches = timingSafeEqual(sha256Digest(given?.username ?? ''), expectedUser);
    const passwordMatches = timingSafeEqual(sha256Digest(given?.password ?? ''), expectedPassword);
    if (given && userMatches && passwordMatches) {
      res.locals.user = given.username;
      next();
      return;
    }
    if (req.headers.authorization !== undefined) {
      options.logger.warn(
        { remoteAddress: req.socket.remoteAddress, method: req.method, url: req.originalUrl },
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

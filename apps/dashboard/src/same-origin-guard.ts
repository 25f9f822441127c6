import type { Logger } from '@conveyor/telemetry';
import type { Request, RequestHandler } from 'express';
import { requestPath } from './request-path.js';

/** Methods that change nothing: the only ones another site may make a browser send. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** `Sec-Fetch-Site` values a request of the board's own page (or typed by the user) carries. */
const SAME_ORIGIN_FETCH_SITES = new Set(['same-origin', 'none']);

/** Why a state-changing request is refused, or undefined when it may go on. */
function crossSiteReason(req: Request): string | undefined {
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite !== undefined) {
    return SAME_ORIGIN_FETCH_SITES.has(fetchSite) ? undefined : `Sec-Fetch-Site is ${fetchSite}`;
  }
  const origin = req.headers.origin;
  // Neither header: not a browser (curl, a script), which cannot carry an operator's login.
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'Origin is not a URL';
  }
  const host = req.headers.host?.toLowerCase();
  return originHost !== '' && originHost === host ? undefined : 'Origin does not match Host';
}

/** True when the request carries a body (or says it does), whatever its length. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The media type of `Content-Type`, without parameters, lower-cased. */
function mediaType(req: Request): string | undefined {
  return req.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
}

/**
 * Cross-site request forgery guard for everything mounted after it. Browsers send the operator's
 * Basic credentials with any request to the dashboard, a form posted from another site included,
 * so every request but GET and HEAD must come from the board's own pages:
 * - `Sec-Fetch-Site` (sent by every current browser) must be `same-origin` or `none`;
 * - without it, `Origin`'s host must equal `Host`;
 * - with neither the client is not a browser (curl, scripts) and may go on: a cross-origin
 *   request from a browser that predates both headers is still stopped by the next rule.
 *
 * And a body, or a `Content-Type`, must be `application/json`: the types an HTML form can send
 * (`text/plain`, urlencoded, multipart) are refused with 415, and a cross-site JSON request needs
 * a CORS preflight that this server never grants. Refusals are answered before authentication.
 */
export function sameOriginGuard(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const reason = crossSiteReason(req);
    if (reason !== undefined) {
      logger.warn(
        { method: req.method, path: requestPath(req), reason },
        'cross-site request refused',
      );
      res.status(403).json({
        error: {
          code: 'CROSS_SITE_REQUEST',
          message: 'State-changing requests must come from the dashboard itself',
        },
      });
      return;
    }
    const type = mediaType(req);
    if ((hasBody(req) || type !== undefined) && type !== 'application/json') {
      res.status(415).json({
        error: {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: 'State-changing requests must send Content-Type: application/json',
        },
      });
      return;
    }
    next();
  };
}

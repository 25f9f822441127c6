import type { RequestHandler } from 'express';

/**
 * Header the console's page sends with every replay and cancel. Another site cannot make a
 * browser send it: a cross-origin request with a custom header needs a CORS preflight, which the
 * dashboard never grants, and a form cannot set headers at all.
 */
export const CONSOLE_HEADER = 'x-conveyor-console';

/**
 * Guards the console's replay and cancel endpoints. Runs after `sameOriginGuard` (which already
 * checks `Sec-Fetch-Site` / `Origin` against the dashboard's host) and adds:
 * - read-only mode: 403 `READ_ONLY`, whatever the request;
 * - no `X-Conveyor-Console: 1` header: 403 `CONSOLE_HEADER_MISSING`, so that the proof of origin
 *   does not rest on the browser sending `Sec-Fetch-Site` or `Origin`.
 */
export function consoleMutationGuard(readOnly: boolean): RequestHandler {
  return (req, res, next) => {
    if (readOnly) {
      res.status(403).json({
        error: { code: 'READ_ONLY', message: 'The dashboard is read-only' },
      });
      return;
    }
    if (req.get(CONSOLE_HEADER) !== '1') {
      res.status(403).json({
        error: {
          code: 'CONSOLE_HEADER_MISSING',
          message: `Replay and cancel must come from the console's page (${CONSOLE_HEADER}: 1)`,
        },
      });
      return;
    }
    next();
  };
}

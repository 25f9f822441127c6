import type { RequestHandler } from 'express';

/**
 * What Bull Board's UI needs and nothing more: its own scripts, inline styles (its components set
 * them), Google Fonts for its typeface, JSON calls to itself. Everything else is refused, and no
 * page may frame the dashboard (its buttons retry and delete jobs: clickjacking bait).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' https://fonts.gstatic.com data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets browser hardening headers on every response: no sniffing, no framing, no referrer, CSP. */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    next();
  };
}

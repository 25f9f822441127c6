import type { RequestHandler } from 'express';

/**
 * What Bull Board's UI and the console need and nothing more: their own scripts, inline styles
 * (Bull Board's components and uPlot set them), fonts, JSON calls and event streams from the
 * dashboard itself. Nothing from another origin, and no page may frame the dashboard (its buttons
 * retry, replay and cancel jobs: clickjacking bait).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
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

import type { HostileCase, HttpCase } from './hostile-case.js';
import { rawCases } from './raw-cases.js';

const PATHS = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/',
  '/%zz',
  '/metrics/../readyz',
  `/${'a'.repeat(5000)}`,
  '/healthz?__proto__[x]=1',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'];

/** The worker's health server gets the same treatment: methods, paths, bodies and framing. */
export function workerCorpus(): HostileCase[] {
  const http = PATHS.flatMap((path) =>
    METHODS.map(
      (method): HttpCase => ({
        kind: 'http',
        label: `worker ${method} ${path.slice(0, 60)}`,
        method,
        path,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{"__proto__":{"x":1}}' }),
      }),
    ),
  );
  return [...http, ...rawCases(undefined, ['/healthz', '/readyz', '/metrics'])];
}

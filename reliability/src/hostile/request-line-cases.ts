import type { HttpCase } from './hostile-case.js';

const ROUTES = [
  '/v1/queues',
  '/v1/queues/ingestion/jobs',
  '/v1/queues/ingestion/jobs/bulk',
  '/v1/queues/ingestion/jobs/1',
  '/v1/queues/slack-events/dead-letters',
  '/v1/queues/slack-events/dead-letters/1/replay',
  '/slack/events',
  '/slack/commands',
  '/slack/interactions',
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

const LONG = 'a'.repeat(4000);

/** Paths and queries that try to escape, confuse or overload routing and lookups. */
const PATHS = [
  '/v1/queues/%2e%2e/jobs',
  '/v1/queues/..%2f..%2fetc%2fpasswd/jobs',
  '/v1/queues/ingestion%00/jobs',
  `/v1/queues/${LONG}/jobs`,
  '/v1/queues/%zz/jobs',
  '/v1/queues/ingestion/jobs/%E0%A4%A',
  '/v1//queues',
  '/V1/QUEUES',
  '/v1/queues/__proto__/jobs',
  '/v1/queues/constructor/jobs',
  '/v1/queues/hasOwnProperty/jobs/1',
  '/v1/queues/toString/dead-letters',
  '/v1/queues/ingestion/jobs/meta',
  '/v1/queues/ingestion/jobs/wait',
  '/v1/queues/ingestion/jobs/id',
  '/v1/queues/ingestion/jobs/events',
  '/v1/queues/ingestion/jobs/stalled-check',
  '/v1/queues/ingestion/jobs/idem:x',
  '/v1/queues/ingestion/jobs/..%2f..%2fmeta',
  `/v1/queues/ingestion/jobs/${LONG}`,
  '/v1/queues/ingestion/jobs/%00',
  '/v1/queues/ingestion/jobs/-1',
  '/v1/queues/ingestion/jobs/1e400',
  '/v1/queues/ingestion/jobs/__proto__',
  '/v1/queues/ingestion/dead-letters?offset=-1',
  '/v1/queues/ingestion/dead-letters?offset=1e3',
  '/v1/queues/ingestion/dead-letters?limit=0',
  '/v1/queues/ingestion/dead-letters?limit=101',
  '/v1/queues/ingestion/dead-letters?limit[]=1',
  '/v1/queues/ingestion/dead-letters?limit=1&limit=2',
  '/v1/queues/ingestion/dead-letters?__proto__[x]=1&constructor[prototype][y]=2',
  '/v1/queues/ingestion/dead-letters?offset=99999999999999999999',
  '/v1/queues/ingestion/dead-letters?limit=%00',
  '/v1/queues/ingestion/dead-letters?offset=0x10',
  `/v1/queues/ingestion/dead-letters?${'a=1&'.repeat(1000)}`,
  '/v1/queues/ingestion/dead-letters/meta/replay',
  '/v1/queues/ingestion/dead-letters/__proto__/replay',
  `/v1/queues/ingestion/dead-letters/${LONG}/replay`,
  '/v1/queues/ingestion/dead-letters/1%2F..%2F2/replay',
  '/v1/queues/unknown/dead-letters/1/replay',
  '/slack/events/../../v1/queues',
  '/slack/%65vents',
  '/metrics?format=../../etc/passwd',
  '/readyz?verbose=1&__proto__=1',
  '/openapi.json?x=%ff',
  '/.env',
  '/admin',
  '/',
];

/** Every route under every method, then the hostile paths under GET and POST. */
export function requestLineCases(auth: Record<string, string>): HttpCase[] {
  const methodCases = ROUTES.flatMap((path) =>
    METHODS.map(
      (method): HttpCase => ({
        kind: 'http',
        label: `${method} ${path}`,
        method,
        path,
        headers: { ...auth, 'content-type': 'application/json' },
        // A body where one is read, and an invalid one: only the route and method are tested.
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{"data":' }),
      }),
    ),
  );
  const pathCases = PATHS.flatMap((path) =>
    ['GET', 'POST'].map(
      (method): HttpCase => ({
        kind: 'http',
        label: `${method} ${path.slice(0, 80)}`,
        method,
        path,
        headers: { ...auth, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{"jobs": "none"}' } : {}),
      }),
    ),
  );
  return [...methodCases, ...pathCases];
}

import { promtoolCheckMetrics, RedisServer } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../test/support/error-body.js';
import { ingestData, slackEvent } from '../test/support/payloads.js';
import { slackHeaders } from '../test/support/slack-headers.js';
import {
  OTHER_TOKEN,
  SLACK_SECRET,
  startTestApp,
  type TestApp,
  TOKEN,
} from '../test/support/test-app.js';
import { WINDOW_MS } from './rate-limit/rate-limiter.js';

/** The parts of the OpenAPI document the test reads. */
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: unknown;
  anyOf?: unknown[];
}
interface Operation {
  requestBody?: { content: Record<string, { schema: JsonSchema } | undefined> };
  responses: Record<string, unknown>;
}

describe('app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('GET /healthz answers 200 without credentials', async () => {
    const response = await app.request('/healthz', { auth: false });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 ready, saying nothing of where Redis runs or which version', async () => {
    const response = await app.request('/readyz', { auth: false });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'ready', problems: [] });
    const { target } = app.config.redis;
    expect(target.mode).toBe('standalone');
    if (target.mode === 'standalone') expect(text).not.toContain(String(target.port));
    expect(text).not.toMatch(/version|127\.0\.0\.1|localhost/);
  });

  it('answers 404 ROUTE_NOT_FOUND in the error shape for unknown routes and methods', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/v1/queues/ingestion/jobs'],
      ['GET', '/v1/queues/ingestion/jobs'],
      ['PUT', '/healthz'],
    ] as const) {
      const response = await app.request(path, { method });
      expect(response.status).toBe(404);
      expect((await errorOf(response)).error.code).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('requires the bearer token on every /v1 route, and no other', async () => {
    const v1: [string, string][] = [
      ['POST', '/v1/queues/ingestion/jobs'],
      ['POST', '/v1/queues/ingestion/jobs/bulk'],
      ['GET', '/v1/queues'],
      ['GET', '/v1/queues/ingestion/jobs/1'],
      ['GET', '/v1/queues/ingestion/dead-letters'],
      ['POST', '/v1/queues/ingestion/dead-letters/1/replay'],
    ];
    for (const [method, path] of v1) {
      for (const auth of [false, 'not-a-configured-token-000'] as const) {
        const response = await app.request(path, { method, auth });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
        expect((await errorOf(response)).error.code).toBe('UNAUTHORIZED');
      }
    }
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await app.request(path, { auth: false })).status).toBe(200);
    }
  });

  it('GET /metrics serves the documented metrics with route templates and queue labels, no client names', async () => {
    await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('metered') });
    await app.request('/v1/queues/ingestion/jobs/abc', { auth: false });
    await app.request('/not/a/route');
    const letter = await app.producer.queue('ingestion').add('ingest', ingestData('dead'));
    await app.producer
      .deadLetters('ingestion')
      .record(letter, new Error('x'), { unrecoverable: true });

    const response = await app.request('/metrics', { auth: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const series = (name: string, labels: Record<string, string>) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`))
        .find((line) =>
          Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)),
        );
    expect(series('conveyor_jobs_enqueued_total', { queue: 'ingestion' })).toMatch(/ 1$/);
    expect(
      series('conveyor_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/queues/:queue/jobs',
        status: '202',
      }),
    ).toMatch(/ 1$/);
    expect(
      series('conveyor_http_request_duration_seconds_count', {
        route: '/v1/queues/:queue/jobs/:id',
        status: '401',
      }),
    ).toMatch(/ [1-9]\d*$/);
    expect(
      series('conveyor_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }),
    ).toBeDefined();
    expect(text).not.toMatch(/route="\/v1\/queues\/ingestion/);
    expect(series('conveyor_queue_jobs', { queue: 'ingestion', state: 'waiting' })).toMatch(/ 2$/);
    expect(series('conveyor_dead_letter_jobs', { queue: 'ingestion' })).toMatch(/ 1$/);
    expect(text).not.toMatch(/conveyor_queue_jobs\{[^}]*dead/);
    expect(series('conveyor_queue_backlog', { queue: 'ingestion' })).toMatch(/ 2$/);
    expect(series('conveyor_queue_oldest_age_seconds', { queue: 'ingestion' })).toBeDefined();
    expect(series('conveyor_queue_paused', { queue: 'ingestion' })).toMatch(/ 0$/);
    expect(series('conveyor_api_client_requests_total', { status: '202' })).toMatch(/ 1$/);
    expect(text).not.toMatch(/client="/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('logs request paths without their query strings', async () => {
    const secret = `leak-${Date.now()}`;
    await app.request(`/v1/queues/ingestion/dead-letters?access_token=${secret}&limit=5`);
    await app.request(`/healthz?token=${secret}`, { auth: false });
    await app.postJson(`/v1/queues/ingestion/jobs?sig=${secret}`, { data: ingestData('q') });
    const logs = app.logs();
    expect(logs).toContain('"url":"/v1/queues/ingestion/dead-letters"');
    expect(logs).toContain('"url":"/healthz"');
    expect(logs).not.toContain(secret);
  });

  it('GET /metrics passes `promtool check metrics`', async () => {
    await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('linted') });
    const text = await (await app.request('/metrics', { auth: false })).text();
    expect(await promtoolCheckMetrics(text)).toEqual({
      code: 0,
      output: '',
    });
  });

  it('GET /openapi.json describes every route, with the payload schemas of the catalog', async () => {
    const response = await app.request('/openapi.json', { auth: false });
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/readyz',
      '/slack/commands',
      '/slack/events',
      '/slack/install',
      '/slack/interactions',
      '/slack/oauth_redirect',
      '/v1/queues',
      '/v1/queues/ingestion/jobs',
      '/v1/queues/ingestion/jobs/bulk',
      '/v1/queues/slack-events/jobs',
      '/v1/queues/slack-events/jobs/bulk',
      '/v1/queues/{queue}/backlog',
      '/v1/queues/{queue}/dead-letters',
      '/v1/queues/{queue}/dead-letters/{id}/replay',
      '/v1/queues/{queue}/events',
      '/v1/queues/{queue}/jobs/{id}',
      '/v1/queues/{queue}/jobs/{id}/cancel',
      '/v1/queues/{queue}/jobs/{id}/events',
      '/v1/queues/{queue}/tenants',
      '/v1/schedules',
      '/v1/schedules/{id}',
      '/v1/search',
    ]);
    const ingest = document.paths['/v1/queues/ingestion/jobs']?.post;
    const body = ingest?.requestBody?.content['application/json']?.schema;
    expect(body?.additionalProperties).toBe(false);
    expect(body?.required).toEqual(['data']);
    expect(body?.properties?.data?.properties?.documentId).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 200,
    });
    expect(body?.properties?.options?.properties?.priority).toMatchObject({ maximum: 2_097_151 });
    expect(Object.keys(ingest?.responses ?? {}).sort()).toEqual(
      ['202', '400', '401', '403', '409', '413', '415', '429', '503'].sort(),
    );
    const slack = document.paths['/v1/queues/slack-events/jobs']?.post;
    const slackBody = slack?.requestBody?.content['application/json']?.schema;
    expect(slackBody?.properties?.data?.anyOf).toHaveLength(3);
    const wait = document.paths['/v1/queues/{queue}/jobs/{id}']?.get as unknown as {
      parameters: { name: string; schema: { maximum?: number } }[];
    };
    expect(wait.parameters.find((p) => p.name === 'waitMs')?.schema.maximum).toBe(60_000);
    const schedule = document.paths['/v1/schedules/{id}']?.put;
    const scheduleBody = schedule?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(scheduleBody?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'queue',
        'data',
        'cron',
        'everyMs',
        'tz',
        'startAt',
        'endAt',
        'limit',
      ]),
    );
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of new Set(refs)) {
      expect(document.components.schemas).toHaveProperty(ref.split('/').pop() as string);
    }
  });

  it('never writes tokens, signatures, cookies or the signing secret to the logs', async () => {
    const wrongToken = 'wrong-token-that-must-not-be-logged';
    const cookie = 'session=cookie-value-that-must-not-be-logged';
    await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('log-1') }, { cookie });
    await app.request('/v1/queues', { auth: OTHER_TOKEN });
    await app.request('/v1/queues', { auth: wrongToken, headers: { cookie } });
    await app.request('/v1/queues', { headers: { authorization: wrongToken } });
    const event = JSON.stringify(slackEvent('Ev-logs'));
    const signed = slackHeaders(SLACK_SECRET, event);
    await app.request('/slack/events', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json', ...signed, 'x-slack-retry-num': '1' },
      body: event,
    });
    await app.request('/slack/events', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json', ...signed },
      body: `${event} `,
    });
    const logs = app.logs();
    expect(logs).toContain('"client":"ci"');
    expect(logs).toContain('"client":"other"');
    expect(logs).toContain('"statusCode":401');
    for (const secret of [
      TOKEN,
      OTHER_TOKEN,
      wrongToken,
      SLACK_SECRET,
      'cookie-value-that-must-not-be-logged',
      signed['x-slack-signature']?.slice(3) ?? 'unreachable',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('app with a rate limit', () => {
  let app: TestApp;
  let now = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 15_000;
  beforeAll(async () => {
    app = await startTestApp({
      env: { RATE_LIMIT_PER_MINUTE: '5' },
      clock: { now: () => now },
    });
  });
  afterAll(() => app.close());

  it('answers 429 with Retry-After once a client used its minute; a bulk counts by its jobs', async () => {
    const bulk = await app.postJson('/v1/queues/ingestion/jobs/bulk', {
      jobs: [{ data: ingestData('r-1') }, { data: ingestData('r-2') }, { data: ingestData('r-3') }],
    });
    expect(bulk.status).toBe(202);
    expect((await app.request('/v1/queues')).status).toBe(200);
    expect((await app.request('/v1/queues/nope/dead-letters')).status).toBe(404);
    const before = await app.countJobs();
    const limited = await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('r-4') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('45');
    expect(await errorOf(limited)).toMatchObject({
      error: { code: 'RATE_LIMITED', details: { limitPerMinute: 5, retryAfterSeconds: 45 } },
    });
    expect(await app.countJobs()).toBe(before);

    // Six jobs do not fit in another client's five: refused whole, nothing stored.
    const tooMany = await app.request('/v1/queues/ingestion/jobs/bulk', {
      method: 'POST',
      auth: OTHER_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jobs: Array.from({ length: 6 }, (_, i) => ({ data: ingestData(`o-${i}`) })),
      }),
    });
    expect(tooMany.status).toBe(429);
    expect(await app.countJobs()).toBe(before);

    expect((await app.request('/v1/queues', { auth: OTHER_TOKEN })).status).toBe(200);
    expect((await app.request('/v1/queues', { auth: false })).status).toBe(401);

    now += WINDOW_MS;
    expect((await app.request('/v1/queues')).status).toBe(200);
  });
});

describe('readiness', () => {
  it('answers 503 naming the problem when Redis may evict job keys', async () => {
    const server = await RedisServer.start({ appendonly: false, maxmemoryPolicy: 'allkeys-lru' });
    const app = await startTestApp({ redisUrl: server.url });
    try {
      const response = await app.request('/readyz', { auth: false });
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        status: 'not-ready',
        problems: ['Redis maxmemory-policy is not noeviction'],
      });
      expect(text).not.toContain(String(server.port));
      // The operator finds the details in the log, once, not at every probe.
      expect(app.logs()).toContain('maxmemory-policy is allkeys-lru');
      expect((await app.request('/readyz', { auth: false })).status).toBe(503);
      expect(app.logs().match(/"msg":"not ready"/g)).toHaveLength(1);
    } finally {
      await app.close();
      await server.stop();
    }
  });

  it('answers 503 while shutting down and asks clients to close their connections', async () => {
    let stopping = false;
    const app = await startTestApp({ isShuttingDown: () => stopping });
    try {
      expect((await app.request('/readyz', { auth: false })).status).toBe(200);
      stopping = true;
      const response = await app.request('/readyz', { auth: false });
      expect(response.status).toBe(503);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toMatchObject({ status: 'shutting-down' });
    } finally {
      await app.close();
    }
  });
});

import { RedisServer, waitFor, waitForHttp } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../test/support/error-body.js';
import { ingestData, slackEvent } from '../test/support/payloads.js';
import { startTestApp, type TestApp } from '../test/support/test-app.js';

/**
 * With Redis unreachable an enqueue answers 503 within a second or two
 * (docs/architecture.md#redis-rules, rule 5).
 */
const BOUND_MS = 2000;

describe('Redis outage', () => {
  let server: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    // Every acknowledged write is on disk before Redis answers, so a kill loses nothing.
    server = await RedisServer.start({ appendonly: true, extraArgs: ['--appendfsync', 'always'] });
    app = await startTestApp({ redisUrl: server.url });
  });
  afterAll(async () => {
    await app.close();
    await server.stop();
  });

  const enqueue = (documentId: string) =>
    app.postJson('/v1/queues/ingestion/jobs', { data: ingestData(documentId) });
  const slackPost = (eventId: string) => app.postSlackEvent(slackEvent(eventId));
  const timed = async (request: () => Promise<Response>) => {
    const started = performance.now();
    const response = await request();
    return { response, ms: performance.now() - started };
  };
  const waitUntilReady = () => waitForHttp(`${app.url}/readyz`, { status: 200, timeoutMs: 15_000 });

  it('answers 503 with Retry-After while Redis is down, then recovers by itself with no acknowledged job lost', async () => {
    const acknowledged: string[] = [];
    for (const documentId of ['before-1', 'before-2']) {
      const response = await enqueue(documentId);
      expect(response.status).toBe(202);
      acknowledged.push(((await response.json()) as { id: string }).id);
    }
    const slack = await slackPost('Ev-before-kill');
    expect(slack.status).toBe(200);
    const slackId = ((await slack.json()) as { id: string }).id;

    await server.kill('SIGKILL');

    const attempts: [string, () => Promise<Response>][] = [
      ['enqueue', () => enqueue('during')],
      [
        'bulk',
        () => app.postJson('/v1/queues/ingestion/jobs/bulk', { jobs: [{ data: ingestData('b') }] }),
      ],
      ['slack event', () => slackPost('Ev-during')],
      ['job status', () => app.request(`/v1/queues/ingestion/jobs/${acknowledged[0]}`)],
      ['queues', () => app.request('/v1/queues')],
      ['dead letters', () => app.request('/v1/queues/ingestion/dead-letters')],
      [
        'replay',
        () => app.request('/v1/queues/ingestion/dead-letters/x/replay', { method: 'POST' }),
      ],
    ];
    for (const [what, request] of attempts) {
      const { response, ms } = await timed(request);
      expect({ what, status: response.status }).toEqual({ what, status: 503 });
      expect(ms).toBeLessThan(BOUND_MS);
      expect(response.headers.get('retry-after')).toBe('1');
      expect((await errorOf(response)).error.code).toBe('REDIS_UNAVAILABLE');
    }
    const ready = await timed(() => app.request('/readyz', { auth: false }));
    expect(ready.response.status).toBe(503);
    expect(ready.ms).toBeLessThan(BOUND_MS);
    expect(((await ready.response.json()) as { problems: string[] }).problems[0]).toMatch(
      /unreachable/,
    );
    expect((await app.request('/healthz', { auth: false })).status).toBe(200);
    const metrics = await timed(() => app.request('/metrics', { auth: false }));
    expect(metrics.response.status).toBe(200);
    expect(metrics.ms).toBeLessThan(BOUND_MS);

    await server.restart();
    await waitUntilReady();
    const after = await enqueue('after');
    expect(after.status).toBe(202);

    for (const id of acknowledged) {
      const response = await app.request(`/v1/queues/ingestion/jobs/${id}`);
      expect(response.status).toBe(200);
    }
    expect((await app.request(`/v1/queues/slack-events/jobs/${slackId}`)).status).toBe(200);
    const waiting = await app.producer.queue('ingestion').getJobs(['waiting', 'prioritized']);
    expect(waiting.map((job) => job.data.documentId).sort()).toEqual([
      'after',
      'before-1',
      'before-2',
    ]);
    // The Slack retry of the event stored before the kill is still recognised.
    const retry = await slackPost('Ev-before-kill');
    expect(await retry.json()).toMatchObject({ id: slackId, deduplicated: true });
  });

  it('answers 503 within the bound when Redis hangs, and recovers when it resumes', async () => {
    server.pause();
    try {
      const { response, ms } = await timed(() => enqueue('frozen'));
      expect(response.status).toBe(503);
      expect(ms).toBeLessThan(BOUND_MS);
      const ready = await timed(() => app.request('/readyz', { auth: false }));
      expect(ready.response.status).toBe(503);
      expect(ready.ms).toBeLessThan(BOUND_MS);
    } finally {
      server.resume();
    }
    await waitFor(async () => (await enqueue('thawed')).status === 202, {
      description: 'an enqueue to succeed after Redis resumed',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
  });
});

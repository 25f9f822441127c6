import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';

interface DeadLetterPage {
  queue: string;
  total: number;
  offset: number;
  limit: number;
  items: { id: string; jobId: string; failedReason: string; data: unknown }[];
}

describe('queue routes', () => {
  let app: TestApp;
  const letterIds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const queue = app.producer.queue('ingestion');
    const deadLetters = app.producer.deadLetters('ingestion');
    for (const n of [1, 2, 3]) {
      const job = await queue.add('ingest', ingestData(`dead-${n}`));
      letterIds.push(
        (await deadLetters.record(job, new Error(`failure ${n}`), { unrecoverable: false })).id,
      );
      await job.remove();
    }
  });
  afterAll(() => app.close());

  it('GET /v1/queues lists every queue with counts by state and dead letters', async () => {
    await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('counted') });
    const response = await app.request('/v1/queues');
    expect(response.status).toBe(200);
    const { queues } = (await response.json()) as {
      queues: { name: string; counts: Record<string, number>; deadLetters: number }[];
    };
    expect(queues.map((queue) => queue.name)).toEqual(['slack-events', 'ingestion']);
    expect(queues[1]).toMatchObject({
      name: 'ingestion',
      description: expect.stringContaining('ingestion'),
      counts: { waiting: 1, active: 0, failed: 0 },
      deadLetters: 3,
    });
    expect(queues[0]).toMatchObject({ counts: { waiting: 0 }, deadLetters: 0 });
    expect((await app.request('/v1/queues', { auth: false })).status).toBe(401);
  });

  it('GET dead-letters pages newest first', async () => {
    const first = await app.request('/v1/queues/ingestion/dead-letters?limit=2');
    expect(first.status).toBe(200);
    const page = (await first.json()) as DeadLetterPage;
    expect(page).toMatchObject({ queue: 'ingestion', total: 3, offset: 0, limit: 2 });
    expect(page.items.map((item) => item.failedReason)).toEqual(['failure 3', 'failure 2']);
    expect(page.items[0]).toMatchObject({ id: letterIds[2], data: { documentId: 'dead-3' } });

    const second = (await (
      await app.request('/v1/queues/ingestion/dead-letters?offset=2&limit=2')
    ).json()) as DeadLetterPage;
    expect(second.items.map((item) => item.failedReason)).toEqual(['failure 1']);

    const empty = (await (
      await app.request('/v1/queues/slack-events/dead-letters')
    ).json()) as DeadLetterPage;
    expect(empty).toEqual({ queue: 'slack-events', total: 0, offset: 0, limit: 20, items: [] });
  });

  it('GET dead-letters answers 400 for bad paging and 404 for unknown queues', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'offset=-1',
      'limit=abc',
      'limit=1&limit=2',
      'offset=1.5',
    ]) {
      const response = await app.request(`/v1/queues/ingestion/dead-letters?${query}`);
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body.error.code).toBe('INVALID_REQUEST');
      expect(issuePaths(body)[0]).toMatch(/^query\./);
    }
    const unknown = await app.request('/v1/queues/nope/dead-letters');
    expect(unknown.status).toBe(404);
  });

  it('POST replay puts the payload back on the origin queue as a new job and removes the letter', async () => {
    const id = letterIds[0] ?? '';
    const response = await app.request(`/v1/queues/ingestion/dead-letters/${id}/replay`, {
      method: 'POST',
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; queue: string };
    expect(body.queue).toBe('ingestion');
    const job = await app.producer.queue('ingestion').getJob(body.id);
    expect(job?.data).toEqual({
      documentId: 'dead-1',
      source: { kind: 'inline', text: 'hello' },
    });
    // Waiting its tenant's turn: in BullMQ's prioritized set, as a fresh enqueue.
    expect(await job?.getState()).toBe('prioritized');
    expect(await app.producer.deadLetters('ingestion').count()).toBe(2);

    const again = await app.request(`/v1/queues/ingestion/dead-letters/${id}/replay`, {
      method: 'POST',
    });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).error.code).toBe('JOB_NOT_FOUND');
  });

  it('POST replay answers 404 for unknown letters, BullMQ key names and queues', async () => {
    for (const path of [
      '/v1/queues/ingestion/dead-letters/nope/replay',
      '/v1/queues/ingestion/dead-letters/meta/replay',
      '/v1/queues/ingestion/dead-letters/wait/replay',
      '/v1/queues/nope/dead-letters/x/replay',
    ]) {
      const response = await app.request(path, { method: 'POST' });
      expect(response.status).toBe(404);
    }
    const before = await app.countJobs();
    expect(
      (
        await app.request('/v1/queues/ingestion/dead-letters/x/replay', {
          method: 'POST',
          auth: false,
        })
      ).status,
    ).toBe(401);
    expect(await app.countJobs()).toBe(before);
  });
});

describe('GET /v1/queues/:queue/backlog', () => {
  let app: TestApp;

  beforeAll(async () => {
    // `other` may read slack-events only.
    app = await startTestApp({ env: { API_CLIENT_SCOPES: 'other=read:slack-events' } });
  });
  afterAll(() => app.close());

  const backlog = async (queue = 'ingestion') => {
    const response = await app.request(`/v1/queues/${queue}/backlog`);
    expect(response.status).toBe(200);
    return (await response.json()) as {
      queue: string;
      backlog: number;
      oldestAgeSeconds: number;
      paused: boolean;
    };
  };

  it('counts what a worker could start now in each state, and reads 0 while paused', async () => {
    const queue = app.producer.queue('ingestion');
    expect(await backlog()).toEqual({
      queue: 'ingestion',
      backlog: 0,
      oldestAgeSeconds: 0,
      paused: false,
    });

    const now = Date.now();
    await queue.add('ingest', ingestData('waiting'), { timestamp: now - 30_000 });
    let read = await backlog();
    expect(read.backlog).toBe(1);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(30);
    expect(read.oldestAgeSeconds).toBeLessThan(60);

    await queue.add('ingest', ingestData('prioritized'), { priority: 3, timestamp: now - 90_000 });
    read = await backlog();
    expect(read.backlog).toBe(2);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(90);

    // Not due for an hour: not backlog.
    await queue.add('ingest', ingestData('not-due'), { delay: 3_600_000 });
    expect((await backlog()).backlog).toBe(2);

    // Due 200 s ago: backlog, dated from when it became due.
    await queue.add('ingest', ingestData('due'), { delay: 100_000, timestamp: now - 300_000 });
    read = await backlog();
    expect(read.backlog).toBe(3);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(200);
    expect(read.oldestAgeSeconds).toBeLessThan(230);
    expect(await queue.getJobCounts('wait', 'prioritized', 'delayed')).toEqual({
      wait: 1,
      prioritized: 1,
      delayed: 2,
    });

    await queue.pause();
    expect(await backlog()).toEqual({
      queue: 'ingestion',
      backlog: 0,
      oldestAgeSeconds: 0,
      paused: true,
    });
    await queue.resume();
    expect(await backlog()).toMatchObject({ backlog: 3, paused: false });
    expect(await backlog('slack-events')).toMatchObject({ queue: 'slack-events', backlog: 0 });
  });

  it('needs a bearer token and the read scope, and answers 404 for unknown queues', async () => {
    expect((await app.request('/v1/queues/ingestion/backlog', { auth: false })).status).toBe(401);
    const forbidden = await app.request('/v1/queues/ingestion/backlog', { auth: OTHER_TOKEN });
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).error.code).toBe('FORBIDDEN');
    const allowed = await app.request('/v1/queues/slack-events/backlog', { auth: OTHER_TOKEN });
    expect(allowed.status).toBe(200);
    const unknown = await app.request('/v1/queues/nope/backlog');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error.code).toBe('UNKNOWN_QUEUE');
  });
});

describe('tenants', () => {
  let app: TestApp;

  beforeAll(async () => {
    // `other` may read slack-events only.
    app = await startTestApp({ env: { API_CLIENT_SCOPES: 'other=read:slack-events' } });
  });
  afterAll(() => app.close());

  const withTenant = (documentId: string, tenant?: string) => ({
    data: ingestData(documentId),
    ...(tenant === undefined ? {} : { options: { tenant } }),
  });

  it('stores each job’s tenant, named or derived, and reports it in the job status', async () => {
    const named = await app.postJson('/v1/queues/ingestion/jobs', withTenant('t-1', 'org:a.1'));
    expect(named.status).toBe(202);
    const { id } = (await named.json()) as { id: string };
    const status = await app.request(`/v1/queues/ingestion/jobs/${id}`);
    expect(await status.json()).toMatchObject({ id, tenant: 'org:a.1', state: 'waiting' });

    const derived = await app.postJson('/v1/queues/ingestion/jobs', {
      data: { ...ingestData('t-2'), orgId: 'org-b' },
    });
    const derivedId = ((await derived.json()) as { id: string }).id;
    const derivedStatus = await app.request(`/v1/queues/ingestion/jobs/${derivedId}`);
    expect(await derivedStatus.json()).toMatchObject({ tenant: 'org-b' });
  });

  it('refuses a bad tenant with 400 naming it, in a single or a bulk enqueue', async () => {
    for (const tenant of ['', 'with space', 'x'.repeat(129), 'semi;colon']) {
      const response = await app.postJson('/v1/queues/ingestion/jobs', withTenant('bad', tenant));
      expect(response.status, tenant).toBe(400);
      expect(issuePaths(await errorOf(response))).toEqual(['options.tenant']);
    }
    const bulk = await app.postJson('/v1/queues/ingestion/jobs/bulk', {
      jobs: [withTenant('ok', 'fine'), withTenant('bad', 'no/slash')],
    });
    expect(bulk.status).toBe(400);
    expect(issuePaths(await errorOf(bulk))).toEqual(['jobs.1.options.tenant']);
  });

  it('GET tenants lists backlogs largest first, a page at a time; needs the read scope', async () => {
    await app.producer.queue('ingestion').obliterate({ force: true });
    const jobs = [
      ...Array.from({ length: 5 }, (_, i) => withTenant(`big-${i}`, 'big')),
      ...Array.from({ length: 3 }, (_, i) => withTenant(`mid-${i}`, 'mid')),
      withTenant('small-0', 'small'),
    ];
    expect((await app.postJson('/v1/queues/ingestion/jobs/bulk', { jobs })).status).toBe(202);
    const first = await app.request('/v1/queues/ingestion/tenants?limit=2');
    expect(first.status).toBe(200);
    const page = (await first.json()) as { tenants: unknown[]; next?: string };
    expect(page).toEqual({
      queue: 'ingestion',
      tenants: [
        { tenant: 'big', waiting: 5, active: 0 },
        { tenant: 'mid', waiting: 3, active: 0 },
      ],
      next: '2',
    });
    const second = await app.request(`/v1/queues/ingestion/tenants?limit=2&cursor=${page.next}`);
    expect(await second.json()).toEqual({
      queue: 'ingestion',
      tenants: [{ tenant: 'small', waiting: 1, active: 0 }],
    });
    expect((await app.request('/v1/queues/ingestion/tenants?limit=0')).status).toBe(400);
    expect((await app.request('/v1/queues/ingestion/tenants', { auth: OTHER_TOKEN })).status).toBe(
      403,
    );
  });
});

describe('tenant scopes', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      env: { API_CLIENT_SCOPES: 'other=enqueue:ingestion read:ingestion tenant:acme tenant:org:7' },
    });
  });
  afterAll(() => app.close());

  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      auth: OTHER_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('lets a client enqueue only for its tenants, named or derived, storing nothing else', async () => {
    const allowed = await post('/v1/queues/ingestion/jobs', {
      data: ingestData('s-1'),
      options: { tenant: 'org:7' },
    });
    expect(allowed.status).toBe(202);
    const derived = await post('/v1/queues/ingestion/jobs', {
      data: { ...ingestData('s-2'), orgId: 'acme' },
    });
    expect(derived.status).toBe(202);

    const before = await app.producer.queue('ingestion').count();
    for (const body of [
      { data: ingestData('s-3'), options: { tenant: 'other-org' } },
      { data: { ...ingestData('s-4'), orgId: 'other-org' } },
      { data: ingestData('s-5') },
    ]) {
      const refused = await post('/v1/queues/ingestion/jobs', body);
      expect(refused.status).toBe(403);
      expect((await errorOf(refused)).error.code).toBe('TENANT_NOT_ALLOWED');
    }
    const bulk = await post('/v1/queues/ingestion/jobs/bulk', {
      jobs: [
        { data: ingestData('s-6'), options: { tenant: 'acme' } },
        { data: ingestData('s-7'), options: { tenant: 'default' } },
      ],
    });
    expect(bulk.status).toBe(403);
    expect((await errorOf(bulk)).error).toMatchObject({
      details: { tenant: 'default', path: 'jobs.1.options.tenant' },
    });
    expect(await app.producer.queue('ingestion').count()).toBe(before);
    // A client with no tenant scope acts for every tenant.
    const full = await app.postJson('/v1/queues/ingestion/jobs', {
      data: ingestData('s-8'),
      options: { tenant: 'other-org' },
    });
    expect(full.status).toBe(202);
  });
});

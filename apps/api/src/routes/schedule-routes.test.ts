import { setTimeout as sleep } from 'node:timers/promises';
import { jobTenant } from '@conveyor/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData, slackEvent } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';
import { startTestWorker } from '../../test/support/test-worker.js';

const put = (app: TestApp, id: string, body: unknown) =>
  app.request(`/v1/schedules/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('schedules', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('creates (201), replaces (200), reads, lists and deletes (204) a schedule', async () => {
    const created = await put(app, 'nightly', {
      queue: 'ingestion',
      data: ingestData('nightly'),
      cron: '0 3 * * *',
      tz: 'Europe/Paris',
      options: { priority: 5 },
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as Record<string, unknown>;
    expect(schedule).toMatchObject({
      id: 'nightly',
      queue: 'ingestion',
      name: 'ingest',
      cron: '0 3 * * *',
      everyMs: null,
      tz: 'Europe/Paris',
      options: { priority: 5 },
      iterations: 1,
    });
    // 03:00 in Paris is 01:00 or 02:00 UTC, in the next 24 hours.
    const next = Date.parse(String(schedule.nextRunAt));
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
    expect([1, 2]).toContain(new Date(next).getUTCHours());

    const replaced = await put(app, 'nightly', {
      queue: 'ingestion',
      data: ingestData('nightly-2'),
      everyMs: 60_000,
      limit: 3,
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ cron: null, everyMs: 60_000, limit: 3 });

    const read = await app.request('/v1/schedules/nightly');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: 'nightly', data: ingestData('nightly-2') });
    const list = (await (await app.request('/v1/schedules')).json()) as {
      schedules: { id: string }[];
    };
    expect(list.schedules.map((entry) => entry.id)).toEqual(['nightly']);

    expect((await app.request('/v1/schedules/nightly', { method: 'DELETE' })).status).toBe(204);

    const gone = await app.request('/v1/schedules/nightly');
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).error.code).toBe('SCHEDULE_NOT_FOUND');
    expect((await app.request('/v1/schedules/nightly', { method: 'DELETE' })).status).toBe(404);
  });

  it("stores the tenant in each tick, as an enqueue derives it (Slack's team)", async () => {
    const created = await put(app, 'team-digest', {
      queue: 'slack-events',
      data: slackEvent('EvScheduled'),
      cron: '0 3 * * *',
    });
    expect(created.status).toBe(201);
    const delayed = await app.producer.queue('slack-events').getJobs(['delayed']);
    const tick = delayed.find((job) => job.repeatJobKey === 'team-digest');
    // The worker indexes the tick and gives it this tenant's turn when it first takes it.
    expect(tick && jobTenant(tick)).toBe('T0TEST');
    expect((await app.request('/v1/schedules/team-digest', { method: 'DELETE' })).status).toBe(204);
  });

  it('stores the tenant the request names, as an enqueue does', async () => {
    const created = await put(app, 'named-tenant', {
      queue: 'ingestion',
      data: { ...ingestData('named'), orgId: 'derived-org' },
      cron: '0 3 * * *',
      options: { tenant: 'named-org' },
    });
    expect(created.status).toBe(201);
    const delayed = await app.producer.queue('ingestion').getJobs(['delayed']);
    const tick = delayed.find((job) => job.repeatJobKey === 'named-tenant');
    expect(tick && jobTenant(tick)).toBe('named-org');
    const bad = await put(app, 'bad-tenant', {
      queue: 'ingestion',
      data: ingestData('bad-tenant'),
      cron: '0 3 * * *',
      options: { tenant: 'with space' },
    });
    expect(bad.status).toBe(400);
    expect(issuePaths(await errorOf(bad))).toEqual(['options.tenant']);
    expect((await app.request('/v1/schedules/named-tenant', { method: 'DELETE' })).status).toBe(
      204,
    );
  });

  it('refuses an invalid schedule with 400 naming the field', async () => {
    const data = ingestData('bad');
    const cases: [unknown, string[]][] = [
      [{ queue: 'ingestion', data, cron: 'not a cron' }, ['cron']],
      [{ queue: 'ingestion', data, cron: '61 * * * *' }, ['cron']],
      [{ queue: 'ingestion', data, cron: '0 3 * * *', tz: 'Mars/Olympus' }, ['tz']],
      [{ queue: 'ingestion', data, everyMs: 1000, tz: 'UTC' }, ['tz']],
      [{ queue: 'ingestion', data, cron: '* * * * *', everyMs: 1000 }, ['everyMs']],
      [{ queue: 'ingestion', data }, ['cron']],
      [{ queue: 'ingestion', data, everyMs: 10 }, ['everyMs']],
      [{ queue: 'nope', data, everyMs: 1000 }, ['queue']],
      [
        { queue: 'ingestion', data: { documentId: 7 }, everyMs: 1000 },
        ['data.documentId', 'data.source'],
      ],
      [
        {
          queue: 'ingestion',
          data,
          everyMs: 1000,
          startAt: '2030-01-02T00:00:00Z',
          endAt: '2030-01-01T00:00:00Z',
        },
        ['endAt'],
      ],
    ];
    for (const [body, paths] of cases) {
      const response = await put(app, 'invalid', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(issuePaths(await errorOf(response)), JSON.stringify(body)).toEqual(paths);
    }
    const badId = await put(app, 'has:colon', { queue: 'ingestion', data, everyMs: 1000 });
    expect(badId.status).toBe(400);
    expect((await app.request('/v1/schedules/invalid')).status).toBe(404);
  });

  it('survives a restart of the API', async () => {
    const first = await startTestApp();
    const created = await put(first, 'survivor', {
      queue: 'ingestion',
      data: ingestData('survivor'),
      everyMs: 3_600_000,
    });
    expect(created.status).toBe(201);
    await first.close();
    const second = await startTestApp({ env: { QUEUE_PREFIX: first.config.redis.prefix } });
    try {
      const read = await second.request('/v1/schedules/survivor');
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id: 'survivor', everyMs: 3_600_000 });
    } finally {
      await second.close();
    }
  });

  it('makes one job per tick with 3 workers running, and no more once deleted', async () => {
    // An API of its own: no job of the other tests in its queue.
    const app = await startTestApp();
    const ran: string[] = [];
    const workers = await Promise.all(
      [1, 2, 3].map(() =>
        startTestWorker(app, 'ingestion', async (job) => {
          ran.push(String(job.id));
        }),
      ),
    );
    try {
      const created = await put(app, 'every-second', {
        queue: 'ingestion',
        data: ingestData('tick'),
        everyMs: 1000,
      });
      expect(created.status).toBe(201);
      await expect
        .poll(() => ran.length, { timeout: 20_000, interval: 50 })
        .toBeGreaterThanOrEqual(4);
      expect((await app.request('/v1/schedules/every-second', { method: 'DELETE' })).status).toBe(
        204,
      );
      const queue = app.producer.queue('ingestion');
      await expect
        .poll(async () => await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized'), {
          timeout: 10_000,
        })
        .toEqual({ active: 0, waiting: 0, delayed: 0, prioritized: 0 });
      const afterDelete = ran.length;

      // One job per tick: each tick's time appears once, ticks are 1 s apart.
      const ticks = ran.map((id) => Number(/^repeat:every-second:(\d+)$/.exec(id)?.[1]));
      expect(ticks.every(Number.isFinite)).toBe(true);
      expect(new Set(ticks).size).toBe(ran.length);
      const sorted = [...ticks].sort((a, b) => a - b);
      expect(sorted.slice(1).map((tick, index) => tick - (sorted[index] ?? 0))).toEqual(
        Array(sorted.length - 1).fill(1000),
      );

      // Two more ticks' worth of time: nothing new once deleted.
      await sleep(2500);
      expect(ran.length).toBe(afterDelete);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
      await app.close();
    }
  });
});

describe('schedules under tenant scopes', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { API_CLIENT_SCOPES: 'other=enqueue:ingestion read:ingestion tenant:A' },
    });
  });
  afterAll(() => app.close());

  const putAsOther = (id: string, body: unknown) =>
    app.request(`/v1/schedules/${id}`, {
      method: 'PUT',
      auth: OTHER_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('lets a tenant-scoped client schedule only for its tenants, as enqueue does', async () => {
    for (const [id, data, options] of [
      ['named-b', ingestData('named-b'), { tenant: 'B' }],
      ['derived-b', { ...ingestData('derived-b'), orgId: 'B' }, undefined],
      ['default', ingestData('default'), undefined],
    ] as const) {
      const refused = await putAsOther(id, {
        queue: 'ingestion',
        data,
        cron: '0 3 * * *',
        options,
      });
      expect(refused.status, id).toBe(403);
      expect((await errorOf(refused)).error.code, id).toBe('TENANT_NOT_ALLOWED');
      expect((await app.request(`/v1/schedules/${id}`)).status, id).toBe(404);
    }
    const allowed = await putAsOther('own', {
      queue: 'ingestion',
      data: ingestData('own'),
      cron: '0 3 * * *',
      options: { tenant: 'A' },
    });
    expect(allowed.status).toBe(201);

    // Another tenant's schedule is not replaced either.
    const theirs = await put(app, 'theirs', {
      queue: 'ingestion',
      data: ingestData('theirs'),
      cron: '0 3 * * *',
      options: { tenant: 'B' },
    });
    expect(theirs.status).toBe(201);
    const takeover = await putAsOther('theirs', {
      queue: 'ingestion',
      data: ingestData('mine-now'),
      cron: '0 3 * * *',
      options: { tenant: 'A' },
    });
    expect(takeover.status).toBe(403);
    expect((await errorOf(takeover)).error.code).toBe('TENANT_NOT_ALLOWED');
    expect(await (await app.request('/v1/schedules/theirs')).json()).toMatchObject({
      data: ingestData('theirs'),
    });
  });

  it("hides another tenant's schedules from a tenant-scoped client: listed, read, deleted", async () => {
    for (const [id, tenant] of [
      ['hidden-b', 'B'],
      ['seen-a', 'A'],
    ] as const) {
      const created = await put(app, id, {
        queue: 'ingestion',
        data: ingestData(id),
        cron: '0 4 * * *',
        options: { tenant },
      });
      expect(created.status, id).toBe(201);
    }
    const asOther = (path: string, method = 'GET') =>
      app.request(path, { method, auth: OTHER_TOKEN });

    const listed = (await (await asOther('/v1/schedules')).json()) as {
      schedules: { id: string; tenant: string }[];
    };
    const ids = listed.schedules.map((schedule) => schedule.id);
    expect(ids).toContain('seen-a');
    expect(ids).not.toContain('hidden-b');
    expect(new Set(listed.schedules.map((schedule) => schedule.tenant))).toEqual(new Set(['A']));

    const read = await asOther('/v1/schedules/hidden-b');
    expect(read.status).toBe(404);
    expect((await errorOf(read)).error.code).toBe('SCHEDULE_NOT_FOUND');
    expect((await asOther('/v1/schedules/hidden-b', 'DELETE')).status).toBe(404);
    // Still there for a client that may see it.
    expect(await (await app.request('/v1/schedules/hidden-b')).json()).toMatchObject({
      tenant: 'B',
    });
    expect((await asOther('/v1/schedules/seen-a')).status).toBe(200);
  });
});

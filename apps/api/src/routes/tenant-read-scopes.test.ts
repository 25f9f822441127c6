import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';

interface DeadLetterPage {
  total: number;
  items: { id: string; tenant?: string }[];
}

/** Tenant scopes on the routes that read, cancel and replay jobs, not only enqueue. */
describe('tenant scopes on reads, cancels and replays', () => {
  let app: TestApp;
  const ids: Record<'a' | 'b', string> = { a: '', b: '' };
  const letters: Record<'a' | 'b', string> = { a: '', b: '' };

  beforeAll(async () => {
    // `other` may do everything on ingestion, for tenant A only.
    app = await startTestApp({
      env: {
        API_CLIENT_SCOPES:
          'other=enqueue:ingestion read:ingestion cancel:ingestion replay:ingestion tenant:A',
      },
    });
    for (const tenant of ['a', 'b'] as const) {
      const created = await app.postJson('/v1/queues/ingestion/jobs', {
        data: ingestData(`tenant-${tenant}`),
        options: { tenant: tenant.toUpperCase() },
      });
      ids[tenant] = ((await created.json()) as { id: string }).id;
      const dying = await app.producer
        .queue('ingestion')
        .add('ingest', ingestData(`dead-${tenant}`), {
          tenant: tenant.toUpperCase(),
        } as object);
      const recorded = await app.producer
        .deadLetters('ingestion')
        .record(dying, new Error('boom'), { unrecoverable: true });
      letters[tenant] = recorded.id;
    }
  });
  afterAll(() => app.close());

  const asOther = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, auth: OTHER_TOKEN });

  it('answers 404 JOB_NOT_FOUND for status, waits and job streams of another tenant’s job', async () => {
    for (const path of [
      `/v1/queues/ingestion/jobs/${ids.b}`,
      `/v1/queues/ingestion/jobs/${ids.b}?waitMs=60000`,
      `/v1/queues/ingestion/jobs/${ids.b}/events`,
    ]) {
      const response = await asOther(path);
      expect(response.status, path).toBe(404);
      expect((await errorOf(response)).error.code, path).toBe('JOB_NOT_FOUND');
    }
    const own = await asOther(`/v1/queues/ingestion/jobs/${ids.a}`);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id: ids.a, tenant: 'A' });
    const stream = await asOther(`/v1/queues/ingestion/jobs/${ids.a}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.body?.cancel();
    // The unscoped client still reads B's job.
    expect((await app.request(`/v1/queues/ingestion/jobs/${ids.b}`)).status).toBe(200);
  });

  it('refuses the queue-wide stream to a tenant-scoped client with 403', async () => {
    const response = await asOther('/v1/queues/ingestion/events');
    expect(response.status).toBe(403);
    expect((await errorOf(response)).error.code).toBe('FORBIDDEN');
    const unscoped = await app.request('/v1/queues/ingestion/events');
    expect(unscoped.status).toBe(200);
    await unscoped.body?.cancel();
  });

  it('lists only its tenants’ dead letters and backlogs', async () => {
    const own = (await (
      await asOther('/v1/queues/ingestion/dead-letters')
    ).json()) as DeadLetterPage;
    expect(own.total).toBe(1);
    expect(own.items).toEqual([expect.objectContaining({ id: letters.a, tenant: 'A' })]);
    // Paged among its own letters: past the only one, nothing.
    expect(
      await (await asOther('/v1/queues/ingestion/dead-letters?offset=1&limit=1')).json(),
    ).toMatchObject({ total: 1, items: [] });
    const all = (await (
      await app.request('/v1/queues/ingestion/dead-letters')
    ).json()) as DeadLetterPage;
    expect(all.total).toBe(2);

    const tenants = await asOther('/v1/queues/ingestion/tenants');
    expect(await tenants.json()).toEqual({
      queue: 'ingestion',
      tenants: [{ tenant: 'A', waiting: 1, active: 0 }],
    });
    const every = (await (await app.request('/v1/queues/ingestion/tenants')).json()) as {
      tenants: { tenant: string }[];
    };
    expect(every.tenants.map(({ tenant }) => tenant).sort()).toEqual(['A', 'B']);
  });

  it('answers 404 to a replay of another tenant’s dead letter, leaving it alone', async () => {
    const refused = await asOther(`/v1/queues/ingestion/dead-letters/${letters.b}/replay`, {
      method: 'POST',
    });
    expect(refused.status).toBe(404);
    expect((await errorOf(refused)).error.code).toBe('JOB_NOT_FOUND');
    expect(await app.producer.deadLetters('ingestion').get(letters.b)).toBeDefined();
    const replayed = await asOther(`/v1/queues/ingestion/dead-letters/${letters.a}/replay`, {
      method: 'POST',
    });
    expect(replayed.status).toBe(202);
    expect(await app.producer.deadLetters('ingestion').get(letters.a)).toBeUndefined();
  });

  it('answers 404 to a cancel of another tenant’s job and leaves it alone', async () => {
    const refused = await asOther(`/v1/queues/ingestion/jobs/${ids.b}/cancel`, { method: 'POST' });
    expect(refused.status).toBe(404);
    expect((await errorOf(refused)).error.code).toBe('JOB_NOT_FOUND');
    expect(await app.producer.queue('ingestion').getJobState(ids.b)).toBe('prioritized');
    const cancelled = await asOther(`/v1/queues/ingestion/jobs/${ids.a}/cancel`, {
      method: 'POST',
    });
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toMatchObject({ id: ids.a, state: 'cancelled' });
    const ended = await asOther(`/v1/queues/ingestion/jobs/${ids.a}`);
    expect(await ended.json()).toMatchObject({ tenant: 'A', state: 'cancelled' });
    // Once B's job is cancelled only its ending record is left; it is hidden the same way.
    expect(
      (await app.request(`/v1/queues/ingestion/jobs/${ids.b}/cancel`, { method: 'POST' })).status,
    ).toBe(202);
    for (const [path, init] of [
      [`/v1/queues/ingestion/jobs/${ids.b}`, {}],
      [`/v1/queues/ingestion/jobs/${ids.b}/cancel`, { method: 'POST' }],
    ] as const) {
      const response = await asOther(path, init);
      expect(response.status, path).toBe(404);
      expect((await errorOf(response)).error.code, path).toBe('JOB_NOT_FOUND');
    }
  });
});

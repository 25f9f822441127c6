import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';

/** Scopes on the lifecycle routes: waits, streams, cancel and schedules. */
describe('lifecycle routes under API_CLIENT_SCOPES', () => {
  let app: TestApp;
  let jobId: string;

  beforeAll(async () => {
    // `other` may only read slack-events.
    app = await startTestApp({ env: { API_CLIENT_SCOPES: 'other=read:slack-events' } });
    const created = await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('scoped') });
    expect(created.status).toBe(202);
    jobId = ((await created.json()) as { id: string }).id;
  });
  afterAll(() => app.close());

  const asOther = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, auth: OTHER_TOKEN });

  it('refuses reads, streams and cancels on a queue the client may not read or cancel', async () => {
    for (const [path, init] of [
      [`/v1/queues/ingestion/jobs/${jobId}?waitMs=10`, {}],
      [`/v1/queues/ingestion/jobs/${jobId}/events`, {}],
      ['/v1/queues/ingestion/events', {}],
      [`/v1/queues/ingestion/jobs/${jobId}/cancel`, { method: 'POST' }],
    ] as const) {
      const response = await asOther(path, init);
      expect(response.status, path).toBe(403);
      expect((await errorOf(response)).error.code).toBe('FORBIDDEN');
    }
    // The job was neither cancelled nor touched.
    expect(await app.producer.queue('ingestion').getJobState(jobId)).toBe('prioritized');
  });

  it('refuses schedules on a queue the client may not enqueue to, and hides others', async () => {
    const body = { queue: 'ingestion', data: ingestData('tick'), everyMs: 60_000 };
    const refused = await asOther('/v1/schedules/scoped-tick', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(refused.status).toBe(403);
    const created = await app.request('/v1/schedules/scoped-tick', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    expect((await asOther('/v1/schedules/scoped-tick')).status).toBe(403);
    expect((await asOther('/v1/schedules/scoped-tick', { method: 'DELETE' })).status).toBe(403);
    const listed = (await (await asOther('/v1/schedules')).json()) as { schedules: unknown[] };
    expect(listed.schedules).toEqual([]);
    expect((await app.request('/v1/schedules/scoped-tick', { method: 'DELETE' })).status).toBe(204);
  });
});

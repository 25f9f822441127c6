import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';

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
        await deadLetters.record(job, new Error(`failure ${n}`), { unrecoverable: false }),
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
    expect(await job?.getState()).toBe('waiting');
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

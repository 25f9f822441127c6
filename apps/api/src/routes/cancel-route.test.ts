import { randomUUID } from 'node:crypto';
import { expiresAtOf, JobCancelledError } from '@conveyor/queues';
import { createRedisConnection } from '@conveyor/redis';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';

const JOBS = '/v1/queues/ingestion/jobs';
const cancelPath = (id: string) => `${JOBS}/${encodeURIComponent(id)}/cancel`;

describe('POST /v1/queues/:queue/jobs/:id/cancel', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const enqueue = async (options?: Record<string, number>) => {
    const body = { data: ingestData(`cancel-${randomUUID()}`), ...(options ? { options } : {}) };
    const response = await app.postJson(JOBS, body);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const status = async (id: string) =>
    (await (await app.request(`${JOBS}/${id}`)).json()) as Record<string, unknown>;

  it('removes a delayed job: 202 cancelled, then its status reads cancelled, then 409', async () => {
    const id = await enqueue({ delay: 60_000 });
    const response = await app.postJson(cancelPath(id), {});
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ id, state: 'cancelled' });
    expect(await app.producer.queue('ingestion').getJob(id)).toBeUndefined();
    expect(await status(id)).toMatchObject({
      id,
      queue: 'ingestion',
      name: 'ingest',
      state: 'cancelled',
      data: null,
      createdAt: expect.stringMatching(/^\d{4}-/),
      finishedAt: expect.stringMatching(/^\d{4}-/),
    });

    const again = await app.postJson(cancelPath(id), {});
    expect(again.status).toBe(409);
    expect((await errorOf(again)).error).toMatchObject({
      code: 'JOB_FINISHED',
      details: { queue: 'ingestion', id, state: 'cancelled' },
    });
  });

  it('signals a running job, whose status reads cancelled once its worker ended it', async () => {
    const id = await enqueue();
    const connection = createRedisConnection(app.config.redis, 'worker');
    const worker = new Worker('ingestion', null, {
      connection,
      prefix: app.config.redis.prefix,
    });
    try {
      const token = randomUUID();
      const job = await worker.getNextJob(token, { block: false });
      expect(job?.id).toBe(id);
      const response = await app.postJson(cancelPath(id), {});
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ id, state: 'active' });
      expect((await status(id)).state).toBe('active');
      // What the worker that heard of it does.
      await job?.moveToFailed(new JobCancelledError(), token);
      expect(await status(id)).toMatchObject({ state: 'cancelled', failedReason: 'cancelled' });
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });

  it('answers 409 with the state of a finished job, 404 for an unknown one', async () => {
    const id = await enqueue();
    const connection = createRedisConnection(app.config.redis, 'worker');
    const worker = new Worker('ingestion', null, { connection, prefix: app.config.redis.prefix });
    try {
      const token = randomUUID();
      const job = await worker.getNextJob(token, { block: false });
      await job?.moveToCompleted({ ok: true }, token, false);
    } finally {
      await worker.close();
      connection.disconnect();
    }
    const finished = await app.postJson(cancelPath(id), {});
    expect(finished.status).toBe(409);
    expect((await errorOf(finished)).error.details).toMatchObject({ state: 'completed' });

    const unknown = await app.postJson(cancelPath('no-such-job'), {});
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).error.code).toBe('JOB_NOT_FOUND');
  });

  it('takes expiresInMs on enqueue and refuses a bad one', async () => {
    const id = await enqueue({ expiresInMs: 60_000 });
    const job = await app.producer.queue('ingestion').getJob(id);
    expect(job && expiresAtOf(job)).toBeGreaterThan(Date.now());
    const invalid = await app.postJson(JOBS, {
      data: ingestData('bad-expiry'),
      options: { expiresInMs: 0 },
    });
    expect(invalid.status).toBe(400);
  });
});

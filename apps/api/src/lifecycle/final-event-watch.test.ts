import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, issuePaths } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';
import { startTestWorker } from '../../test/support/test-worker.js';

const JOBS = '/v1/queues/ingestion/jobs';

/** Releases a job's handler on demand: the test decides when the job completes. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('GET /v1/queues/:queue/jobs/:id?waitMs=', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_WAITERS: '2' } });
  });
  afterAll(() => app.close());

  const enqueue = async (documentId: string) => {
    const response = await app.postJson(JOBS, { data: ingestData(documentId) });
    return ((await response.json()) as { id: string }).id;
  };
  const readJob = async (id: string, waitMs: number, init: RequestInit = {}) => {
    const response = await app.request(`${JOBS}/${id}?waitMs=${waitMs}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers as soon as the job completes, with its result, without waiting out waitMs', async () => {
    const release = gate();
    let completedAt = 0;
    const worker = await startTestWorker(app, 'ingestion', async () => {
      await release.opened;
      return { chunks: 3 };
    });
    worker.worker.on('completed', () => {
      completedAt = performance.now();
    });
    try {
      const id = await enqueue('wait-complete');
      const started = performance.now();
      const answer = readJob(id, 30_000);
      // The request is waiting (subscribed) before the job is let go.
      await expect.poll(() => app.events.size.wait, { timeout: 5000 }).toBe(1);
      release.open();
      const { status, body } = await answer;
      const answeredAt = performance.now();
      expect(status).toBe(200);
      expect(body).toMatchObject({ id, state: 'completed', returnValue: { chunks: 3 } });
      // Far below waitMs: the answer followed the completion, not the end of the wait.
      expect(answeredAt - started).toBeLessThan(15_000);
      console.info(`waitMs answered ${(answeredAt - completedAt).toFixed(1)} ms after completion`);
      expect(app.events.size.wait).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('answers a job that failed for good, and keeps waiting through a failure that will be retried', async () => {
    const queue = app.producer.queue('ingestion');
    const worker = await startTestWorker(app, 'ingestion', async (job: Job) => {
      if (job.data.documentId === 'wait-fails') throw new Error('source unreachable');
      if (job.attemptsMade === 0) throw new Error('first attempt fails');
      return 'second attempt';
    });
    try {
      const fails = await queue.add('ingest', ingestData('wait-fails'), { attempts: 1 });
      const retried = await queue.add('ingest', ingestData('wait-retried'), {
        attempts: 2,
        backoff: { type: 'fixed', delay: 0 },
      });
      const [failed, completed] = await Promise.all([
        readJob(String(fails.id), 30_000),
        readJob(String(retried.id), 30_000),
      ]);
      expect(failed.body).toMatchObject({ state: 'failed', failedReason: 'source unreachable' });
      expect(completed.body).toMatchObject({
        state: 'completed',
        returnValue: 'second attempt',
        attemptsMade: 2,
      });
    } finally {
      await worker.close();
    }
  });

  it('answers with the current state when the wait ends first', async () => {
    const id = await enqueue('wait-timeout');
    const started = performance.now();
    const { status, body } = await readJob(id, 300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, state: 'waiting' });
    expect(app.events.size.wait).toBe(0);
  });

  it('answers a finished job at once', async () => {
    const worker = await startTestWorker(app, 'ingestion', async () => 'done');
    try {
      const id = await enqueue('wait-finished');
      await expect
        .poll(async () => (await readJob(id, 0)).body.state, { timeout: 10_000 })
        .toBe('completed');
    } finally {
      await worker.close();
    }
    const id = (await app.producer.queue('ingestion').getCompleted(0, 0))[0]?.id;
    const started = performance.now();
    const { body } = await readJob(String(id), 60_000);
    expect(body.state).toBe('completed');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses waitMs out of 0..60000 with 400 naming query.waitMs', async () => {
    const id = await enqueue('wait-invalid');
    for (const waitMs of ['60001', '-1', '1e3', 'soon']) {
      const response = await app.request(`${JOBS}/${id}?waitMs=${waitMs}`);
      expect(response.status).toBe(400);
      expect(issuePaths(await errorOf(response))).toEqual(['query.waitMs']);
    }
  });

  it('answers 404 for an unknown job and lets go of its subscription', async () => {
    const response = await app.request(`${JOBS}/no-such-job?waitMs=1000`);
    expect(response.status).toBe(404);
    expect(app.events.size.wait).toBe(0);
  });

  it('answers 503 with Retry-After past MAX_WAITERS, and frees a waiter whose client left', async () => {
    const id = await enqueue('wait-bounded');
    const left = new AbortController();
    const first = readJob(id, 30_000, { signal: left.signal }).catch(() => undefined);
    const second = readJob(id, 30_000);
    await expect.poll(() => app.events.size.wait, { timeout: 5000 }).toBe(2);
    const metrics = await (await app.request('/metrics', { auth: false })).text();
    expect(metrics).toMatch(/^conveyor_api_event_subscribers\{kind="wait"[^}]*\} 2$/m);
    const refused = await app.request(`${JOBS}/${id}?waitMs=30000`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await errorOf(refused)).error.code).toBe('SUBSCRIBER_LIMIT');
    left.abort();
    await first;
    await expect.poll(() => app.events.size.wait, { timeout: 5000 }).toBe(1);
    // The hub closing (shutdown) answers the remaining waiter with the current state.
    app.events.closeSubscribers();
    expect((await second).body).toMatchObject({ id, state: 'waiting' });
  });
});

import { cancelChannel, deadLetterQueueName } from '@conveyor/queues';
import { closeRedisConnection, createRedisConnection } from '@conveyor/redis';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueSnapshot } from '../src/console/read-queue-snapshot.js';
import { addFailedJob } from './support/add-failed-job.js';
import type { FlakyWorker } from './support/start-flaky-worker.js';
import {
  startTestDashboard,
  TEST_CREDENTIALS,
  type TestDashboard,
} from './support/start-test-dashboard.js';
import { waitForJobState } from './support/wait-for-job-state.js';

const AUTH = {
  authorization: `Basic ${Buffer.from(`${TEST_CREDENTIALS.username}:${TEST_CREDENTIALS.password}`).toString('base64')}`,
};
const MUTATION = { ...AUTH, 'content-type': 'application/json', 'x-conveyor-console': '1' };

/** Reads server-sent events until `accept` returns true for one; resolves with it. */
async function nextEvent<T>(
  url: string,
  accept: (type: string, data: unknown) => data is T,
  onOpen: () => Promise<unknown>,
): Promise<T> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: AUTH, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let opened = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += value;
      if (!opened) {
        opened = true;
        await onOpen();
      }
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) {
          const parsed: unknown = JSON.parse(data);
          if (accept(type, parsed)) return parsed;
        }
        end = buffer.indexOf('\n\n');
      }
    }
  } finally {
    controller.abort();
  }
}

describe('console API', () => {
  let dashboard: TestDashboard;
  let worker: FlakyWorker | undefined;

  beforeAll(async () => {
    dashboard = await startTestDashboard();
  });
  afterAll(async () => {
    await worker?.close();
    await dashboard?.close();
  });

  it('serves the page, redirecting the path without its slash', async () => {
    const bare = await fetch(dashboard.consoleUrl.slice(0, -1), {
      headers: AUTH,
      redirect: 'manual',
    });
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/console/');
    const page = await fetch(dashboard.consoleUrl, { headers: AUTH });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Conveyor console</title>');
    expect((await fetch(dashboard.consoleUrl)).status).toBe(401);
  });

  it('reports per-minute metrics and enqueue-to-start latency of a queue', async () => {
    const queue = dashboard.queue('ingestion');
    const failed = await addFailedJob(queue, dashboard.redisConfig);
    worker = failed.worker;
    const response = await fetch(`${dashboard.consoleUrl}api/overview`, { headers: AUTH });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { readOnly: boolean; queues: QueueSnapshot[] };
    expect(body.readOnly).toBe(false);
    const ingestion = body.queues.find((snapshot) => snapshot.queue === 'ingestion');
    expect(ingestion?.counts).toMatchObject({ failed: 1, completed: 0, deadLetters: 0 });
    expect(ingestion?.failedPerMinute.values).toHaveLength(60);
    expect(ingestion?.failedPerMinute.values.reduce((sum, value) => sum + value, 0)).toBe(1);
    expect(ingestion?.latency.mean.filter((value) => value !== null)).toHaveLength(1);
  });

  it('streams a new snapshot of a queue when a job is added to it', async () => {
    const queue = dashboard.queue('slack-events');
    const before = await queue.getWaitingCount();
    const snapshot = await nextEvent(
      `${dashboard.consoleUrl}api/events`,
      (type, data): data is { snapshot: QueueSnapshot } =>
        type === 'snapshot' &&
        (data as { snapshot: QueueSnapshot }).snapshot.queue === 'slack-events' &&
        (data as { snapshot: QueueSnapshot }).snapshot.counts.waiting === before + 1,
      () => queue.add('event', { note: 'live' }),
    );
    expect(snapshot.snapshot.counts.waiting).toBe(before + 1);
  });

  it('answers 400, 404 and 409 with a code', async () => {
    const base = `${dashboard.consoleUrl}api`;
    const replay = (queue: string, body: unknown) =>
      fetch(`${base}/queues/${queue}/dead-letters/replay`, {
        method: 'POST',
        headers: MUTATION,
        body: JSON.stringify(body),
      });
    const codeOf = async (response: Response) => {
      const body = (await response.json()) as { error: { code: string } };
      return [response.status, body.error.code];
    };
    expect(await codeOf(await replay('ingestion', { ids: [] }))).toEqual([400, 'INVALID_REQUEST']);
    expect(await codeOf(await replay('nope', { ids: ['x'] }))).toEqual([404, 'UNKNOWN_QUEUE']);
    const missing = await replay('ingestion', { ids: ['ingestion-missing'] });
    expect(missing.status).toBe(200);
    expect(await missing.json()).toMatchObject({
      replayed: [],
      failed: [{ queue: 'ingestion', id: 'ingestion-missing', code: 'JOB_NOT_FOUND' }],
    });

    const queue = dashboard.queue('slack-events');
    const cancel = (id: string) =>
      fetch(`${base}/queues/slack-events/jobs/${id}/cancel`, { method: 'POST', headers: MUTATION });
    expect(await codeOf(await cancel('no-such-job'))).toEqual([404, 'JOB_NOT_FOUND']);

    const waiting = await queue.add('event', { note: 'cancel me' });
    const cancelled = await cancel(String(waiting.id));
    expect(cancelled.status).toBe(202);
    expect(await cancelled.json()).toEqual({ id: waiting.id, state: 'cancelled' });
    expect(await codeOf(await cancel(String(waiting.id)))).toEqual([409, 'JOB_FINISHED']);

    const unknown = await fetch(`${base}/search?key=colour&value=x`, { headers: AUTH });
    expect(await codeOf(unknown)).toEqual([400, 'UNKNOWN_SEARCH_KEY']);
    const none = await fetch(`${base}/search?key=documentId&value=nothing`, { headers: AUTH });
    expect(await none.json()).toEqual({ jobs: [] });
    const jobs = await fetch(`${base}/queues/ingestion/jobs?state=finished`, { headers: AUTH });
    expect(await codeOf(jobs)).toEqual([400, 'INVALID_REQUEST']);
  });

  it('lists dead letters newest first and replays them with the catalog options', async () => {
    const deadLetters = dashboard.queue(deadLetterQueueName('ingestion'));
    for (const id of ['a', 'b']) {
      await deadLetters.add(
        'ingest',
        {
          queue: 'ingestion',
          jobId: id,
          name: 'ingest',
          data: { documentId: `doc-${id}`, source: { kind: 'inline', text: 'x' } },
          failedReason: `failure ${id}`,
          stacktrace: [],
          attemptsMade: 3,
          unrecoverable: false,
          failedAt: new Date().toISOString(),
        },
        { jobId: `ingestion-${id}` },
      );
    }
    const list = await fetch(`${dashboard.consoleUrl}api/queues/ingestion/dead-letters`, {
      headers: AUTH,
    });
    const body = (await list.json()) as { total: number; items: { id: string }[] };
    expect(body.total).toBe(2);
    expect(body.items.map((item) => item.id)).toEqual(['ingestion-b', 'ingestion-a']);

    const replay = await fetch(`${dashboard.consoleUrl}api/queues/ingestion/dead-letters/replay`, {
      method: 'POST',
      headers: MUTATION,
      body: JSON.stringify({ ids: ['ingestion-a', 'ingestion-b'] }),
    });
    const result = (await replay.json()) as { replayed: { jobId: string }[] };
    expect(result.replayed).toHaveLength(2);
    const replayed = await dashboard.queue('ingestion').getJob(result.replayed[0]!.jobId);
    // The catalog's options, which the board's own queue would not have given it.
    expect(replayed?.opts.attempts).toBe(3);
    expect(await deadLetters.getWaitingCount()).toBe(0);
    await waitForJobState(dashboard.queue('ingestion'), result.replayed[0]!.jobId, 'completed');
  });

  it('cancels a running job where it runs: its workers are told on the cancel channel', async () => {
    const queue = dashboard.queue('slack-events');
    const connection = createRedisConnection(dashboard.redisConfig, 'worker');
    const subscriber = createRedisConnection(dashboard.redisConfig, 'worker');
    const running: (() => void)[] = [];
    // Holds every job it takes (earlier tests left some waiting) until the test ends.
    const worker = new Worker(
      'slack-events',
      () => new Promise<void>((resolve) => running.push(resolve)),
      { connection, prefix: dashboard.redisConfig.prefix, concurrency: 50 },
    );
    try {
      const told = new Promise<string>((resolve) =>
        subscriber.on('message', (_, id) => resolve(id)),
      );
      await subscriber.subscribe(cancelChannel(queue));
      const job = await queue.add('event', { note: 'running' });
      await waitForJobState(queue, String(job.id), 'active');
      const response = await fetch(
        `${dashboard.consoleUrl}api/queues/slack-events/jobs/${job.id}/cancel`,
        { method: 'POST', headers: MUTATION },
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ id: job.id, state: 'active' });
      expect(await told).toBe(job.id);
    } finally {
      for (const release of running) release();
      await worker.close();
      await closeRedisConnection(subscriber);
      await closeRedisConnection(connection);
    }
  });
});

import type { RedisConnection } from '@conveyor/redis';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../test/support/test-queues.js';
import { isFinalFailure } from './final-failure.js';
import type { Producer } from './producer.js';

describe('dead letters', () => {
  let queues: TestQueues;
  let workerConnection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    queues = await connectTestQueues();
    ({ workerConnection, producer, prefix } = queues);
  });
  afterAll(() => queues.close());

  /** Runs a worker whose processor fails as told, recording final failures as apps/worker does. */
  async function runFailing(fail: () => Error, expectedDeadLetters: number): Promise<void> {
    const deadLetters = producer.deadLetters('ingestion');
    const worker = new Worker(
      'ingestion',
      async (job) => {
        const error = fail();
        if (isFinalFailure(job, error)) {
          await deadLetters.record(job, error, {
            unrecoverable: error instanceof UnrecoverableError,
          });
        }
        throw error;
      },
      // Retry at once: the backoff policy is not under test here.
      { connection: workerConnection, prefix, settings: { backoffStrategy: () => 0 } },
    );
    try {
      await expect
        .poll(() => deadLetters.count(), { timeout: 15_000, interval: 50 })
        .toBeGreaterThanOrEqual(expectedDeadLetters);
    } finally {
      await worker.close();
    }
  }

  it('copies a job that exhausts its attempts, replays it, and removes the dead letter', async () => {
    const { id } = await producer.enqueue('ingestion', {
      data: { documentId: 'dies', source: { kind: 'inline', text: 'x' } },
    });
    await runFailing(() => new Error('upstream said no'), 1);

    const deadLetters = producer.deadLetters('ingestion');
    const { total, items } = await deadLetters.list({ offset: 0, limit: 10 });
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      queue: 'ingestion',
      jobId: id,
      name: 'ingest',
      data: { documentId: 'dies' },
      failedReason: 'upstream said no',
      attemptsMade: 3,
      unrecoverable: false,
    });
    expect(items[0]?.stacktrace.join('\n')).toContain('upstream said no');

    const replayedId = await producer.replayDeadLetter('ingestion', items[0]?.id ?? '');
    const replayed = await producer.queue('ingestion').getJob(replayedId);
    expect(replayed?.data).toEqual(items[0]?.data);
    // Waiting its tenant's turn: in BullMQ's prioritized set, as a fresh enqueue.
    expect(await replayed?.getState()).toBe('prioritized');
    expect(replayed?.opts.attempts).toBe(3);
    expect(await deadLetters.count()).toBe(0);
    await replayed?.remove();
  });

  it('sends an unrecoverable failure after one attempt, and records each job once', async () => {
    const { id } = await producer.enqueue('ingestion', {
      data: { documentId: 'bad-input', source: { kind: 'inline', text: 'x' } },
    });
    await runFailing(() => new UnrecoverableError('permanent'), 1);
    const letter = await producer.deadLetters('ingestion').get(`ingestion-${id}`);
    expect(letter).toMatchObject({
      attemptsMade: 1,
      unrecoverable: true,
      failedReason: 'permanent',
    });
    const job = await producer.queue('ingestion').getJob(id);
    if (!job) throw new Error('job should still be kept as failed');
    await producer
      .deadLetters('ingestion')
      .record(job, new Error('again'), { unrecoverable: true });
    expect(await producer.deadLetters('ingestion').count()).toBe(1);
  });

  it('lists newest first and pages', async () => {
    const dlq = producer.deadLetters('slack-events');
    const queue = producer.queue('slack-events');
    for (const n of [1, 2, 3]) {
      const job = await queue.add('app_mention', { n }, { jobId: `page-${n}` });
      await dlq.record(job, new Error(`e${n}`), { unrecoverable: false });
    }
    const first = await dlq.list({ offset: 0, limit: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((item) => item.failedReason)).toEqual(['e3', 'e2']);
    const second = await dlq.list({ offset: 2, limit: 2 });
    expect(second.items.map((item) => item.failedReason)).toEqual(['e1']);
  });
});

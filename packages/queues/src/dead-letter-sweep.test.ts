import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../test/support/test-queues.js';
import { deadLetterId } from './dead-letter-queue.js';
import { DeadLetterSweep, type DeadLetterSweepOptions } from './dead-letter-sweep.js';
import { JobCancelledError } from './errors/job-cancelled-error.js';
import { JobExpiredError } from './errors/job-expired-error.js';
import { recordJobEnding } from './job-state.js';
import type { Producer } from './producer.js';

describe('dead-letter sweep', () => {
  let queues: TestQueues;
  let connection: RedisConnection;
  let workerConnection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    queues = await connectTestQueues();
    ({ connection, workerConnection, producer, prefix } = queues);
  });
  afterAll(() => queues.close());

  function sweepOf(options: Partial<DeadLetterSweepOptions> = {}): Pick<DeadLetterSweep, 'sweep'> {
    const sweep = new DeadLetterSweep({
      origin: producer.queue('ingestion'),
      deadLetters: producer.deadLetters('ingestion'),
      connection,
      settleMs: 0,
      lockMs: 1,
      ...options,
    });
    if (options.lockMs !== undefined) return sweep;
    // The lock is not under test: each sweep starts free of the one before (a lock of 1 ms
    // still held the next sweep of a test when the first took less than that).
    return {
      sweep: async () => {
        await connection.del(producer.deadLetters('ingestion').queue.toKey('sweep-lock'));
        return sweep.sweep();
      },
    };
  }

  /**
   * Enqueues `count` ingestion jobs and fails them for good with raw BullMQ, recording no dead
   * letter: what a worker that died right after the failure leaves behind.
   */
  async function failForGood(count: number, error: () => Error): Promise<string[]> {
    const queue = producer.queue('ingestion');
    const ids: string[] = [];
    for (let n = 0; n < count; n += 1) {
      const data = { documentId: `swept-${randomUUID()}`, source: { kind: 'inline', text: 'x' } };
      // The catalog's attempts without its backoff, so the retries run at once.
      const job = await queue.add('ingest', data, {
        attempts: 3,
        backoff: { type: 'fixed', delay: 0 },
      });
      ids.push(String(job.id));
    }
    // Processed by hand, attempt after attempt, as BullMQ's worker does.
    const worker = new Worker('ingestion', null, { connection: workerConnection, prefix });
    const token = randomUUID();
    try {
      for (;;) {
        const job = await worker.getNextJob(token, { block: false });
        if (!job) break;
        await job.moveToFailed(error(), token);
      }
    } finally {
      await worker.close();
    }
    for (const id of ids) expect(await queue.getJobState(id)).toBe('failed');
    return ids;
  }

  it('records a job failed for good without a dead letter, once, as it failed', async () => {
    const [id = ''] = await failForGood(1, () => new Error('upstream said no'));
    const deadLetters = producer.deadLetters('ingestion');
    const origin = await producer.queue('ingestion').getJob(id);
    expect(await deadLetters.get(deadLetterId('ingestion', id))).toBeUndefined();

    const result = await sweepOf().sweep();
    expect(result.recorded).toEqual([id]);
    const letter = await deadLetters.get(deadLetterId('ingestion', id));
    expect(letter).toMatchObject({
      queue: 'ingestion',
      jobId: id,
      name: 'ingest',
      data: origin?.data,
      failedReason: 'upstream said no',
      attemptsMade: 3,
      unrecoverable: false,
      failedAt: new Date(origin?.finishedOn ?? 0).toISOString(),
    });
    expect(letter?.stacktrace[0]).toBe('Error: upstream said no');

    const again = await sweepOf().sweep();
    expect(again.recorded).toEqual([]);
  });

  it('counts an early failure as unrecoverable', async () => {
    const [id = ''] = await failForGood(1, () => new UnrecoverableError('permanent'));
    await sweepOf().sweep();
    const letter = await producer.deadLetters('ingestion').get(deadLetterId('ingestion', id));
    expect(letter).toMatchObject({ attemptsMade: 1, unrecoverable: true });
  });

  it('two sweeps at once make one dead letter per job, and the lock keeps one idle', async () => {
    const ids = await failForGood(3, () => new Error('boom'));
    const locked = { lockMs: 60_000 };
    await connection.del(producer.deadLetters('ingestion').queue.toKey('sweep-lock'));
    const [a, b] = await Promise.all([sweepOf(locked).sweep(), sweepOf(locked).sweep()]);
    expect([a.swept, b.swept].sort()).toEqual([false, true]);
    await connection.del(producer.deadLetters('ingestion').queue.toKey('sweep-lock'));
    const [c, d] = await Promise.all([sweepOf().sweep(), sweepOf().sweep()]);
    const recorded = [...a.recorded, ...b.recorded, ...c.recorded, ...d.recorded];
    expect(recorded.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    const deadLetters = producer.deadLetters('ingestion');
    for (const id of ids) {
      expect(await deadLetters.get(deadLetterId('ingestion', id))).toBeDefined();
    }
  });

  it('does not copy again an origin job whose dead letter was replayed', async () => {
    const [id = ''] = await failForGood(1, () => new Error('replay me'));
    await sweepOf().sweep();
    const deadLetters = producer.deadLetters('ingestion');
    // As a dead letter recorded before origins were remembered: the replay remembers it.
    await connection.zrem(deadLetters.queue.toKey('origins'), id);
    const before = await deadLetters.count();
    const replayedId = await producer.replayDeadLetter('ingestion', deadLetterId('ingestion', id));
    expect(replayedId).toMatch(new RegExp(`^${id}-replay-\\d+$`));
    expect(await deadLetters.count()).toBe(before - 1);

    const after = await sweepOf().sweep();
    expect(after.recorded).toEqual([]);
    expect(await deadLetters.get(deadLetterId('ingestion', id))).toBeUndefined();
    await (await producer.queue('ingestion').getJob(replayedId))?.remove();
  });

  it('reads only the failures since the last sweep, not the whole retention', async () => {
    await failForGood(2, () => new Error('old'));
    await sweepOf().sweep();
    const [fresh = ''] = await failForGood(1, () => new Error('new'));
    const next = await sweepOf({ overlapMs: 0 }).sweep();
    expect(next.examined).toBe(1);
    expect(next.recorded).toEqual([fresh]);
  });

  it('leaves failures younger than the settle time to the worker that failed them', async () => {
    const [id = ''] = await failForGood(1, () => new Error('just now'));
    const early = await sweepOf({ settleMs: 60_000 }).sweep();
    expect(early.recorded).not.toContain(id);
    const later = await sweepOf().sweep();
    expect(later.recorded).toEqual([id]);
  });

  it('never records a cancelled job, and records an expired one with reason expired', async () => {
    const queue = producer.queue('ingestion');
    const [cancelled = ''] = await failForGood(1, () => new JobCancelledError());
    await recordJobEnding(connection, queue, cancelled, {
      state: 'cancelled',
      name: 'ingest',
      at: 1,
    });
    const [expired = ''] = await failForGood(1, () => new JobExpiredError(Date.now()));
    await recordJobEnding(connection, queue, expired, { state: 'expired', name: 'ingest', at: 1 });

    const result = await sweepOf().sweep();
    expect(result.recorded).toEqual([expired]);
    const deadLetters = producer.deadLetters('ingestion');
    expect(await deadLetters.get(deadLetterId('ingestion', cancelled))).toBeUndefined();
    expect(await deadLetters.get(deadLetterId('ingestion', expired))).toMatchObject({
      reason: 'expired',
      unrecoverable: true,
    });
  });
});

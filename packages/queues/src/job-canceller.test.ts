import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../test/support/test-queues.js';
import { JobCancelledError } from './errors/job-cancelled-error.js';
import { JobFinishedError } from './errors/job-finished-error.js';
import { JobNotFoundError } from './errors/job-not-found-error.js';
import { JobCanceller } from './job-canceller.js';
import { readJobEndings } from './job-state.js';
import type { Producer } from './producer.js';
import { cancelChannel, recentCancelsKey } from './redis-keys.js';

const ingest = () => ({
  data: { documentId: `c-${randomUUID()}`, source: { kind: 'inline', text: 'x' } },
});

describe('JobCanceller', () => {
  let queues: TestQueues;
  let connection: RedisConnection;
  let producer: Producer;
  let canceller: JobCanceller;

  /** Takes jobs as a worker would; open for the whole file, so every job it took stays movable. */
  let taker: Worker;

  beforeAll(async () => {
    queues = await connectTestQueues();
    ({ connection, producer } = queues);
    canceller = new JobCanceller(connection);
    taker = new Worker('ingestion', null, {
      connection: queues.workerConnection,
      prefix: queues.prefix,
    });
    await taker.waitUntilReady();
  });
  afterAll(async () => {
    await taker.close();
    await queues.close();
  });

  const queue = () => producer.queue('ingestion');
  const cancel = async (id: string) => canceller.cancel(queue(), id, await queue().getJob(id));
  const endingOf = async (id: string) => (await readJobEndings(connection, queue(), [id])).get(id);

  /** Takes the next job as a worker would; returns it with its lock token. */
  async function take() {
    const token = randomUUID();
    const job = await taker.getNextJob(token, { block: false });
    if (!job) throw new Error('no job to take');
    return { job, token };
  }

  it('removes a waiting, delayed or prioritized job, which then reads cancelled', async () => {
    const requests = [ingest(), { ...ingest(), options: { delay: 60_000 } }];
    requests.push({ ...ingest(), options: { priority: 3 } } as (typeof requests)[number]);
    for (const request of requests) {
      const { id } = await producer.enqueue('ingestion', request);
      await expect(cancel(id)).resolves.toEqual({ id, state: 'cancelled' });
      expect(await queue().getJob(id)).toBeUndefined();
      expect(await endingOf(id)).toMatchObject({ state: 'cancelled', name: 'ingest' });
      // Cancelled already: refused with its state.
      await expect(cancel(id)).rejects.toMatchObject({ code: 'JOB_FINISHED', state: 'cancelled' });
    }
  });

  it('tells the workers of a running job on the queue channel and remembers it', async () => {
    await queue().drain(true);
    const { id } = await producer.enqueue('ingestion', ingest());
    const { job, token } = await take();
    expect(job.id).toBe(id);
    const subscriber = queues.workerConnection.duplicate();
    const received = new Promise<string>((resolve) => {
      subscriber.on('message', (_channel, message: string) => resolve(message));
    });
    await subscriber.subscribe(cancelChannel(queue()));
    try {
      await expect(cancel(id)).resolves.toEqual({ id, state: 'active' });
      expect(await received).toBe(id);
      expect(await endingOf(id)).toMatchObject({ state: 'cancelled' });
      expect(await connection.zscore(recentCancelsKey(queue()), id)).not.toBeNull();
    } finally {
      subscriber.disconnect();
    }
    // Its worker ends it; a second cancel is refused with the ending.
    await job.moveToFailed(new JobCancelledError(), token);
    await expect(cancel(id)).rejects.toMatchObject({ code: 'JOB_FINISHED', state: 'cancelled' });
  });

  it('cancels where it runs a job a worker took between the state read and the removal', async () => {
    await queue().drain(true);
    const { id } = await producer.enqueue('ingestion', ingest());
    const { token } = await take();
    const job = await queue().getJob(id);
    if (!job) throw new Error('job gone');
    // As read just before the worker took it.
    job.getState = async () => 'waiting';
    await expect(canceller.cancel(queue(), id, job)).resolves.toEqual({ id, state: 'active' });
    expect(await queue().getJobState(id)).toBe('active');
    expect(await connection.zscore(recentCancelsKey(queue()), id)).not.toBeNull();
    await job.moveToFailed(new JobCancelledError(), token);
  });

  it('refuses a completed or failed job with its state, and an unknown id', async () => {
    await queue().drain(true);
    const { id } = await producer.enqueue('ingestion', ingest());
    const { job, token } = await take();
    await job.moveToCompleted('done', token, false);
    await expect(cancel(id)).rejects.toBeInstanceOf(JobFinishedError);
    await expect(cancel(id)).rejects.toMatchObject({ state: 'completed' });
    await expect(cancel('no-such-job')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

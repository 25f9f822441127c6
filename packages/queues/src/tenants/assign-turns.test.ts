import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../../test/support/test-queues.js';
import { tenantKeys } from '../redis-keys.js';
import { assignTurns } from './assign-turns.js';

const HALF = 2 ** 20;

describe('turns restarting after a long run', () => {
  let queues: TestQueues;
  let connection: RedisConnection;
  let queue: Queue;

  beforeAll(async () => {
    queues = await connectTestQueues();
    connection = queues.workerConnection;
    queue = new Queue('turns', { connection, prefix: queues.prefix });
  });
  afterAll(async () => {
    await queue.close();
    await queues.close();
  });

  const turnOf = async (tenant: string) => (await assignTurns(connection, queue, [{ tenant }]))[0];

  it('waits for the jobs that may come back with an old turn before restarting from 1', async () => {
    await connection.set(tenantKeys.clock(queue), HALF + 10);
    // A retry in its backoff, carrying a turn from before: a restart would put it behind
    // every newer job. Turns go on instead.
    const retrying = await queue.add('x', {}, { delay: 60_000, priority: HALF + 8 });
    expect(await turnOf('A')).toBe(HALF + 10);
    await retrying.remove();

    // A running job could fail and come back with its turn too.
    const worker = new Worker('turns', null, { connection, prefix: queue.opts.prefix });
    try {
      await queue.add('y', {});
      const token = randomUUID();
      const running = await worker.getNextJob(token);
      expect(running).toBeDefined();
      expect(await turnOf('A')).toBe(HALF + 10);
      await running?.moveToCompleted('done', token, false);
    } finally {
      await worker.close();
    }

    // Nothing left that carries a turn: restart.
    expect(await turnOf('A')).toBe(1);
    expect(await turnOf('B')).toBe(1);
  });

  it('restarts at three quarters of the ceiling even with a job delayed for ever', async () => {
    await connection.set(tenantKeys.clock(queue), HALF + HALF / 2);
    const scheduled = await queue.add('next-run', {}, { delay: 3_600_000 });
    expect(await turnOf('A')).toBe(1);
    await scheduled.remove();
  });
});

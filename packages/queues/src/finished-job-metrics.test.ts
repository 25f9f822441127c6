import { RedisServer } from '@conveyor/testing';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinishedJobMetrics } from './finished-job-metrics.js';

const MINUTE = 60_000;

describe('FinishedJobMetrics', () => {
  let redis: RedisServer;
  let client: Redis;
  let queue: Queue;
  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false });
    client = redis.client();
    queue = new Queue('metrics', { connection: redis.client(), prefix: 'conveyor' });
  });
  afterAll(async () => {
    await queue?.close();
    client?.disconnect();
    await redis?.stop();
  });

  const recorder = (clock: { now: number }, maxDataPoints?: number) =>
    new FinishedJobMetrics({
      connection: client,
      now: () => clock.now,
      flushAfterMs: 60_000,
      ...(maxDataPoints ? { maxDataPoints } : {}),
    });

  it('writes what BullMQ writes job by job, a batch at a time, read by getMetrics', async () => {
    await client.flushall();
    const clock = { now: 29_000_000 * MINUTE + 5000 };
    const metrics = recorder(clock);
    const finish = async (outcome: 'completed' | 'failed', jobs: number) => {
      for (let i = 0; i < jobs; i++) metrics.record(queue, outcome);
      await metrics.flush();
    };
    // BullMQ, per job: the first sets prevTS; the first of a later minute pushes the count of
    // the jobs before it (5), a 0 for the minute with none, and opens its own minute.
    await finish('completed', 3);
    clock.now += 10_000;
    await finish('completed', 2);
    await finish('failed', 1);
    clock.now += 2 * MINUTE;
    await finish('completed', 4);

    const completed = await queue.getMetrics('completed');
    expect(completed.meta).toEqual({ count: 9, prevTS: clock.now, prevCount: 5 });
    expect(completed.data).toEqual([0, 5]);
    const failed = await queue.getMetrics('failed');
    expect(failed.meta).toEqual({ count: 1, prevTS: clock.now - 2 * MINUTE, prevCount: 0 });
    expect(failed.data).toEqual([]);
  });

  it('keeps at most maxDataPoints minutes', async () => {
    await client.flushall();
    const clock = { now: 29_000_000 * MINUTE };
    const metrics = recorder(clock, 3);
    metrics.record(queue, 'completed', 7);
    await metrics.flush();
    clock.now += 10 * MINUTE;
    metrics.record(queue, 'completed');
    await metrics.flush();
    expect((await queue.getMetrics('completed')).data).toEqual([0, 0, 7]);
  });

  it('keeps the counts of a write that failed for the next one, and says so once', async () => {
    await client.flushall();
    const clock = { now: 29_000_000 * MINUTE };
    const errors: Error[] = [];
    const metrics = new FinishedJobMetrics({
      connection: client,
      now: () => clock.now,
      flushAfterMs: 60_000,
      onError: (error) => errors.push(error),
    });
    const key = queue.toKey('metrics:completed');
    await client.set(key, 'not a hash');
    metrics.record(queue, 'completed', 2);
    await metrics.flush();
    metrics.record(queue, 'completed', 1);
    await metrics.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/WRONGTYPE/);
    await client.del(key);
    await metrics.close();
    expect((await queue.getMetrics('completed')).meta.count).toBe(3);
  });

  it('writes on its own, flushAfterMs after the first count', async () => {
    await client.flushall();
    const metrics = new FinishedJobMetrics({ connection: client, flushAfterMs: 50 });
    metrics.record(queue, 'completed');
    await expect.poll(async () => (await queue.getMetrics('completed')).meta.count).toBe(1);
    await metrics.close();
  });
});

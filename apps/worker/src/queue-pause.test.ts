import { randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { createLogger } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueuePause } from './queue-pause.js';

describe('QueuePause', () => {
  let redis: RedisConnection;
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logger = createLogger({ name: 'test', level: 'silent' });
  const closing: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'worker');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
  });
  afterAll(async () => {
    for (const close of closing.reverse()) await close();
    await closeRedisConnection(redis);
  });

  function queueNamed(name: string) {
    const queue = new Queue(name, { connection: redis, prefix });
    closing.push(() => queue.close());
    const pause = new QueuePause({ queue, connection: redis, logger });
    closing.push(async () => pause.close());
    const meta = () => redis.hgetall(queue.toKey('meta'));
    return { queue, pause, meta };
  }

  it('holds every worker without a limiter until the pause ends, then lifts its limit', async () => {
    const { queue, pause, meta } = queueNamed('pause-a');
    const worker = new Worker(queue.name, async () => 'done', { connection: redis, prefix });
    closing.push(() => worker.close());
    await worker.waitUntilReady();

    await pause.pause(1500);
    const pausedUntil = Date.now() + (await redis.pttl(queue.toKey('limiter')));
    expect(await meta()).toMatchObject({ max: String(Number.MAX_SAFE_INTEGER) });
    const job = await queue.add('x', {});
    await waitFor(async () => (await job.getState()) === 'completed', {
      description: 'the job to run after the pause',
      timeoutMs: 10_000,
    });
    const processedOn = (await queue.getJob(String(job.id)))?.processedOn ?? 0;
    // Clocks of one machine; a little slack for the millisecond rounding of PTTL.
    expect(processedOn).toBeGreaterThanOrEqual(pausedUntil - 20);
    await waitFor(async () => (await meta()).max === undefined, {
      description: 'the pause limit to be lifted',
      timeoutMs: 5000,
    });
  });

  it('keeps the limit while a longer pause set meanwhile runs', async () => {
    const first = queueNamed('pause-b');
    const second = new QueuePause({ queue: first.queue, connection: redis, logger });
    closing.push(async () => second.close());
    await first.pause.pause(100);
    await second.pause(3000);
    // The first pause's own end has passed: its release finds the second pause running.
    await waitFor(async () => (await redis.pttl(first.queue.toKey('limiter'))) < 2800, {
      description: 'the first pause to be over',
    });
    await first.pause.release();
    expect((await first.meta()).max).toBe(String(Number.MAX_SAFE_INTEGER));
  });

  it("leaves an operator's global rate limit alone", async () => {
    const { queue, pause, meta } = queueNamed('pause-c');
    await queue.setGlobalRateLimit(1000, 1000);
    await pause.pause(50);
    await waitFor(async () => (await redis.pttl(queue.toKey('limiter'))) < 0, {
      description: 'the pause to end',
    });
    await pause.release();
    expect(await meta()).toMatchObject({ max: '1000', duration: '1000' });
  });

  it('lifts a limit left behind by a process that died mid-pause', async () => {
    const { queue, pause, meta } = queueNamed('pause-d');
    await pause.pause(50);
    pause.close();
    await waitFor(async () => (await redis.pttl(queue.toKey('limiter'))) < 0, {
      description: 'the pause to end',
    });
    expect((await meta()).max).toBe(String(Number.MAX_SAFE_INTEGER));
    await new QueuePause({ queue, connection: redis, logger }).release();
    expect((await meta()).max).toBeUndefined();
  });
});

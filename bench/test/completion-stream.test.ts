import { parseInfo } from '@conveyor/redis';
import { RedisServer } from '@conveyor/testing';
import { Queue, QueueKeys, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionStream } from '../src/support/completion-stream.js';
import { settleRedis } from '../src/support/settle-redis.js';
import { calibratedWallClock } from '../src/support/wall-clock.js';

describe('bench measuring tools, against a real redis-server', () => {
  let redis: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: true });
    client = redis.client({ maxRetriesPerRequest: 3 });
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('reads each completed job once, timed by Redis between the add and the read', async () => {
    const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
    const queue = new Queue('stream-test', { connection, prefix: 'bench' });
    const worker = new Worker('stream-test', async () => 'done', { connection, prefix: 'bench' });
    const stream = new CompletionStream({
      client,
      eventsKey: new QueueKeys('bench').toKey('stream-test', 'events'),
      intervalMs: 10,
    });
    const seen = new Map<string, number[]>();
    try {
      // Events from before start() are not reported.
      await queue.add('before', {});
      await new Promise((resolve) => worker.once('completed', resolve));
      const now = calibratedWallClock();
      await stream.start((jobId, redisMs) => {
        seen.set(jobId, [...(seen.get(jobId) ?? []), redisMs]);
      });
      const addedAt = now();
      const jobs = await queue.addBulk(Array.from({ length: 50 }, () => ({ name: 'n', data: {} })));
      const ids = jobs.map((job) => String(job.id));
      await expect
        .poll(() => ids.every((id) => seen.has(id)), { timeout: 10_000, interval: 20 })
        .toBe(true);
      const readAt = now();
      await stream.stop();
      expect([...seen.keys()].sort()).toEqual([...ids].sort());
      for (const [, times] of seen) {
        expect(times).toHaveLength(1);
        expect(times[0]).toBeGreaterThanOrEqual(Math.floor(addedAt));
        expect(times[0]).toBeLessThanOrEqual(readAt);
      }
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('reports the events asked for: each job started before it completed', async () => {
    const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null };
    const queue = new Queue('active-test', { connection, prefix: 'bench' });
    const worker = new Worker('active-test', async () => 'done', { connection, prefix: 'bench' });
    const stream = new CompletionStream({
      client,
      eventsKey: new QueueKeys('bench').toKey('active-test', 'events'),
      intervalMs: 10,
      events: ['active', 'completed'],
    });
    const seen = new Map<string, { event: string; redisMs: number }[]>();
    try {
      await stream.start((jobId, redisMs, event) => {
        seen.set(jobId, [...(seen.get(jobId) ?? []), { event, redisMs }]);
      });
      const jobs = await queue.addBulk(Array.from({ length: 20 }, () => ({ name: 'n', data: {} })));
      await expect
        .poll(() => jobs.every((job) => seen.get(String(job.id))?.length === 2), {
          timeout: 10_000,
          interval: 20,
        })
        .toBe(true);
      await stream.stop();
      for (const job of jobs) {
        const [first, second] = seen.get(String(job.id)) ?? [];
        expect(first?.event).toBe('active');
        expect(second?.event).toBe('completed');
        expect(second?.redisMs).toBeGreaterThanOrEqual(first?.redisMs ?? Number.POSITIVE_INFINITY);
      }
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('settles Redis: the AOF is rewritten and nothing runs in the background after', async () => {
    await client.set('padding', 'x'.repeat(100_000));
    for (let i = 0; i < 50; i++) await client.append('padding', 'y');
    const before = parseInfo(await client.info('persistence'));
    expect(Number(before.get('aof_current_size'))).toBeGreaterThan(
      Number(before.get('aof_base_size')),
    );
    await settleRedis(client);
    const after = parseInfo(await client.info());
    expect(after.get('aof_rewrite_in_progress')).toBe('0');
    expect(after.get('lazyfree_pending_objects') ?? '0').toBe('0');
    expect(Number(after.get('aof_rewrites'))).toBeGreaterThan(Number(before.get('aof_rewrites')));
  });

  it('gives a sub-millisecond clock on the scale of Date.now()', () => {
    const now = calibratedWallClock();
    let subMillisecond = 0;
    for (let i = 0; i < 1000; i++) {
      // Read between two whole-millisecond readings, so that the process being descheduled
      // between the calls (a loaded machine) cannot make a correct clock look wrong.
      const before = Date.now();
      const precise = now();
      const after = Date.now();
      expect(precise).toBeGreaterThanOrEqual(before - 0.01);
      expect(precise).toBeLessThan(after + 1.01);
      if (!Number.isInteger(precise)) subMillisecond += 1;
    }
    expect(subMillisecond).toBeGreaterThan(0);
  });
});

import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { auditScriptKeys, RedisServer } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readQueueBacklog } from './read-queue-backlog.js';

describe('readQueueBacklog', () => {
  let connection: RedisConnection;
  let prefix: string;
  const opened: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    prefix = `b${randomUUID().slice(0, 8)}`;
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
    ).redis;
    connection = createRedisConnection(config, 'worker');
    await waitUntilReady(connection, 5000);
  });
  afterAll(async () => {
    await Promise.all(opened.map((closable) => closable.close()));
    connection.disconnect();
  });

  function queue(): Queue {
    const created = new Queue(`backlog-${randomUUID().slice(0, 8)}`, { connection, prefix });
    opened.push(created);
    return created;
  }

  it('is 0 with nothing to run', async () => {
    expect(await readQueueBacklog(connection, queue())).toEqual({
      backlog: 0,
      oldestAgeSeconds: 0,
      paused: false,
    });
  });

  it('counts waiting, prioritized and due delayed jobs, not the rest, and dates the oldest', async () => {
    const target = queue();
    // Completed, failed and active jobs are not backlog: settle three first (FIFO takes them).
    for (const name of ['to-complete', 'to-fail', 'to-hold']) await target.add(name, {});
    const worker = new Worker(target.name, null, { connection, prefix, autorun: false });
    opened.push(worker);
    const token = 'backlog-test';
    const [toComplete, toFail, toHold] = await Promise.all(
      [0, 1, 2].map(() => worker.getNextJob(token)),
    );
    expect([toComplete?.name, toFail?.name, toHold?.name].sort()).toEqual([
      'to-complete',
      'to-fail',
      'to-hold',
    ]);
    await toComplete?.moveToCompleted('done', token, false);
    await toFail?.moveToFailed(new Error('no'), token, false);

    const now = Date.now();
    await target.add('waiting', {}, { timestamp: now - 60_000 });
    await target.add('waiting', {}, { timestamp: now - 10_000 });
    await target.add('prioritized', {}, { priority: 5, timestamp: now - 120_000 });
    // Due 300 s ago: the oldest, dated from when it became due (not 400 s, when it was added).
    await target.add('due', {}, { delay: 100_000, timestamp: now - 400_000 });
    await target.add('not-due', {}, { delay: 3_600_000 });
    const counts = await target.getJobCounts();
    expect(counts).toMatchObject({ active: 1, completed: 1, failed: 1, delayed: 2 });

    const read = await readQueueBacklog(connection, target);
    expect(read.paused).toBe(false);
    expect(read.backlog).toBe(4);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(300);
    expect(read.oldestAgeSeconds).toBeLessThan(330);
  });

  it('dates the oldest prioritized job behind the head of its set, at any priority', async () => {
    const target = queue();
    const now = Date.now();
    // The head of the set (priority 1) is the newest; older ones wait behind it at lower
    // priorities, down to the lowest BullMQ allows (scores near 2^53).
    await target.add('urgent', {}, { priority: 1, timestamp: now - 5_000 });
    await target.add('urgent', {}, { priority: 1, timestamp: now - 1_000 });
    await target.add('normal', {}, { priority: 7, timestamp: now - 200_000 });
    await target.add('lowest', {}, { priority: 2_097_151, timestamp: now - 250_000 });
    await target.add('lowest', {}, { priority: 2_097_151, timestamp: now - 100_000 });

    const read = await readQueueBacklog(connection, target);
    expect(read.backlog).toBe(5);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(250);
    expect(read.oldestAgeSeconds).toBeLessThan(280);
  });

  it('reads 0 while the queue is paused, and the backlog again once resumed', async () => {
    const target = queue();
    await target.add('waiting', {}, { timestamp: Date.now() - 30_000 });
    await target.pause();
    expect(await readQueueBacklog(connection, target)).toEqual({
      backlog: 0,
      oldestAgeSeconds: 0,
      paused: true,
    });
    await target.resume();
    const read = await readQueueBacklog(connection, target);
    expect(read.backlog).toBe(1);
    expect(read.oldestAgeSeconds).toBeGreaterThanOrEqual(30);
  });

  it('reads only keys it was given, so it is correct on Redis Cluster by contract', async () => {
    const server = await RedisServer.start({ appendonly: false });
    const own = new Redis(server.url);
    try {
      const target = new Queue('backlog-audit', { connection: own, prefix: '{audit}' });
      const now = Date.now();
      await target.add('waiting', {}, { timestamp: now - 60_000 });
      await target.add('ranked', {}, { priority: 3, timestamp: now - 90_000 });
      await target.add('ranked', {}, { priority: 9, timestamp: now - 30_000 });
      let read: Awaited<ReturnType<typeof readQueueBacklog>> | undefined;
      const audit = await auditScriptKeys(server.url, async () => {
        read = await readQueueBacklog(own, target);
      });
      expect(read?.backlog).toBe(3);
      expect(read?.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
      expect(audit.scripts).toBe(1);
      expect(audit.touched).toContain('{audit}:backlog-audit:wait');
      expect(audit.undeclared).toEqual([]);
      await target.close();
    } finally {
      own.disconnect();
      await server.stop();
    }
  });
});

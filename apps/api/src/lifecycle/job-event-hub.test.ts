import { randomUUID } from 'node:crypto';
import { createRedisConnection, type RedisConnection } from '@conveyor/redis';
import { countBlockedReaders, waitFor } from '@conveyor/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../env.js';
import type { JobEvent } from './job-event.js';
import { JobEventHub } from './job-event-hub.js';

const QUEUE = 'ingestion';

describe('JobEventHub readers on demand', () => {
  let prefix: string;
  let hub: JobEventHub;
  let queue: Queue;
  let admin: RedisConnection;

  beforeEach(() => {
    const config = loadConfig({
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
      API_TOKENS: 'ci:ci-secret-0123456789abcdef',
    });
    prefix = config.redis.prefix;
    admin = createRedisConnection(config.redis, 'admin');
    queue = new Queue(QUEUE, { connection: admin, prefix });
    hub = new JobEventHub({
      connection: createRedisConnection(config.redis, 'queue-events', { lazyConnect: true }),
      prefix,
      readJob: async (_queue, id) => (await queue.getJob(id)) ?? undefined,
      maxWaiters: 10,
      maxStreams: 10,
      readerIdleMs: 50,
    });
  });
  afterEach(async () => {
    await hub.close();
    await queue.close();
    admin.disconnect();
  });

  const blockedReaders = () => countBlockedReaders(admin, prefix);

  it('tells a subscriber of an idle hub the first event written after subscribe resolves', async () => {
    // Events before the subscription: the reader must start after them, not replay them.
    const job = await queue.add('ingest', {});
    await job.updateProgress(1);
    expect(hub.readingQueues).toEqual([]);
    const seen: JobEvent[] = [];
    let told: () => void = () => {};
    const progressed = new Promise<void>((resolve) => {
      told = resolve;
    });
    const unsubscribe = await hub.subscribeJob(QUEUE, String(job.id), 'wait', {
      event: (event) => {
        seen.push(event);
        told();
      },
      close: () => {},
    });
    // At once, before the reader's blocking read can have been sent.
    await job.updateProgress(2);
    await progressed;
    expect(seen).toEqual([{ type: 'progress', queue: QUEUE, jobId: String(job.id), data: 2 }]);
    unsubscribe();
  });

  it('holds no blocking read with nobody subscribed, one while subscribed, none after idling', async () => {
    await queue.waitUntilReady();
    expect(await blockedReaders()).toBe(0);
    const unsubscribe = await hub.subscribeQueue(QUEUE, { event: () => {}, close: () => {} });
    expect(hub.readingQueues).toEqual([QUEUE]);
    await waitFor(async () => (await blockedReaders()) === 1, {
      description: 'the reader blocked on XREAD',
    });
    unsubscribe();
    await waitFor(async () => (await blockedReaders()) === 0, {
      description: 'the idle reader closed',
    });
    expect(hub.readingQueues).toEqual([]);
    // A second subscription starts a reader again.
    const again = await hub.subscribeQueue(QUEUE, { event: () => {}, close: () => {} });
    await waitFor(async () => (await blockedReaders()) === 1, {
      description: 'the restarted reader blocked on XREAD',
    });
    again();
  });
});

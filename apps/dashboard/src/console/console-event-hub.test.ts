import { randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConfig,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { waitFor } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConsoleEvent, ConsoleEventHub } from './console-event-hub.js';
import { newestEventId } from './newest-event-id.js';
import type { QueueSnapshot } from './read-queue-snapshot.js';

describe('ConsoleEventHub', () => {
  let prefix: string;
  let config: RedisConfig;
  let connection: RedisConnection;
  let eventsConnection: RedisConnection;
  let queue: Queue;
  let hub: ConsoleEventHub;
  let reads = 0;

  beforeAll(async () => {
    ({ redis: config } = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: `hub-${randomUUID().slice(0, 8)}` },
    ));
    prefix = config.prefix;
    connection = createRedisConnection(config, 'admin');
    eventsConnection = createRedisConnection(config, 'queue-events', { lazyConnect: true });
    queue = new Queue('ingestion', { connection, prefix });
    hub = new ConsoleEventHub({
      connection: eventsConnection,
      prefix,
      snapshotIntervalMs: 200,
      lastEventId: async (name) => {
        const other = new Queue(name, { connection, prefix });
        try {
          return await newestEventId(eventsConnection, other);
        } finally {
          await other.close();
        }
      },
      readSnapshot: async (name) => {
        reads++;
        const waiting = name === 'ingestion' ? await queue.getWaitingCount() : 0;
        return { queue: name, counts: { waiting } } as QueueSnapshot;
      },
    });
    hub.start();
    await hub.ready();
  });
  afterAll(async () => {
    await hub?.close();
    await queue?.close();
    eventsConnection?.disconnect();
    await closeRedisConnection(connection);
  });

  it('folds a burst of events into a few snapshots, the last one up to date', async () => {
    const events: ConsoleEvent[] = [];
    const unsubscribe = hub.subscribe({ event: (event) => events.push(event), close: () => {} });
    const added = 300;
    await queue.addBulk(
      Array.from({ length: added }, (_, index) => ({ name: 'ingest', data: { index } })),
    );
    const last = () =>
      events.filter((event) => event.type === 'snapshot').at(-1) as
        | { snapshot: QueueSnapshot }
        | undefined;
    await waitFor(() => last()?.snapshot.counts.waiting === added, {
      timeoutMs: 10_000,
      description: 'a snapshot with every job counted',
    });
    // One event per job reached the hub; far fewer snapshots were read.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(added / 10);
    unsubscribe?.();
  });

  it('sends the changes of followed jobs only, one that finished before it was followed too', async () => {
    const events: ConsoleEvent[] = [];
    const unsubscribe = hub.subscribe({ event: (event) => events.push(event), close: () => {} });
    const workerConnection = createRedisConnection(config, 'worker');
    const worker = new Worker('ingestion', async () => 'done', {
      connection: workerConnection,
      prefix,
      concurrency: 50,
    });
    try {
      const finished = async (id: string) =>
        waitFor(async () => (await queue.getJobState(id)) === 'completed', {
          timeoutMs: 10_000,
          description: `job ${id} completed`,
        });
      const unfollowed = await queue.add('ingest', { which: 'not followed' });
      await finished(String(unfollowed.id));
      const followed = await queue.add('ingest', { which: 'followed' });
      await finished(String(followed.id));
      hub.follow('ingestion', String(followed.id));
      const jobEvents = () => events.filter((event) => event.type === 'job');
      await waitFor(() => jobEvents().some((event) => event.state === 'completed'), {
        timeoutMs: 10_000,
        description: 'the followed job reported completed',
      });
      // The stream is in order: the other job's changes came first, and none was sent.
      expect(jobEvents().every((event) => event.id === followed.id)).toBe(true);
      expect(jobEvents().at(-1)).toEqual({
        type: 'job',
        queue: 'ingestion',
        id: followed.id,
        state: 'completed',
      });
    } finally {
      unsubscribe?.();
      await worker.close();
      await closeRedisConnection(workerConnection);
    }
  });

  it('refuses a stream past its limit, and any once closed', async () => {
    const small = new ConsoleEventHub({
      connection: eventsConnection,
      prefix,
      maxListeners: 1,
      readSnapshot: () => Promise.reject(new Error('not read')),
    });
    const listener = { event: () => {}, close: () => {} };
    expect(small.subscribe(listener)).toBeTypeOf('function');
    expect(small.subscribe(listener)).toBeUndefined();
    await small.close();
    expect(small.subscribe(listener)).toBeUndefined();
  });
});

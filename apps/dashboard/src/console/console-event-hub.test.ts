import { randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConfig,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { countBlockedReaders, waitFor } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConsoleEvent, ConsoleEventHub, type ConsoleListener } from './console-event-hub.js';
import type { QueueSnapshot } from './read-queue-snapshot.js';

/** The streams the console reads: each catalog queue and its dead-letter queue. */
const STREAMS = [
  'ingestion',
  'ingestion-dead-letters',
  'slack-events',
  'slack-events-dead-letters',
];

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
      readerIdleMs: 50,
      readSnapshot: async (name) => {
        reads++;
        const waiting = name === 'ingestion' ? await queue.getWaitingCount() : 0;
        return { queue: name, counts: { waiting } } as QueueSnapshot;
      },
    });
  });
  afterAll(async () => {
    await hub?.close();
    await queue?.close();
    eventsConnection?.disconnect();
    await closeRedisConnection(connection);
  });

  const blockedReaders = () => countBlockedReaders(connection, prefix);
  const ignore: ConsoleListener = { event: () => {}, close: () => {} };

  it('reads nothing while no page is open', async () => {
    await queue.add('ingest', { before: 'any page' });
    const job = await queue.add('ingest', { before: 'any page' });
    await job.updateProgress(50);
    expect(hub.readingQueues).toEqual([]);
    // Its connection was never even opened: no XREVRANGE, no blocking read, no snapshot.
    expect(eventsConnection.status).toBe('wait');
    expect(await blockedReaders()).toBe(0);
    expect(reads).toBe(0);
    await queue.obliterate({ force: true });
  });

  it('tells the first page of an idle hub the first event written after it subscribed', async () => {
    const events: ConsoleEvent[] = [];
    let told: () => void = () => {};
    const snapshotted = new Promise<void>((resolve) => {
      told = resolve;
    });
    const unsubscribe = await hub.subscribe({
      event: (event) => {
        events.push(event);
        told();
      },
      close: () => {},
    });
    // At once, before the readers' blocking reads can have been sent: read from the streams'
    // last ids, the readers still see it.
    await queue.add('ingest', { after: 'the subscription' });
    await snapshotted;
    expect(events[0]).toEqual({
      type: 'snapshot',
      snapshot: { queue: 'ingestion', counts: { waiting: 1 } },
    });
    unsubscribe?.();
    await queue.obliterate({ force: true });
  });

  it('reads while a page is open and stops once none has been for the idle time', async () => {
    const first = await hub.subscribe(ignore);
    const second = await hub.subscribe(ignore);
    expect(hub.readingQueues.sort()).toEqual(STREAMS);
    await waitFor(async () => (await blockedReaders()) === STREAMS.length, {
      description: 'one blocked XREAD per stream',
    });
    first?.();
    // One page still open: the readers run on.
    expect(hub.readingQueues.sort()).toEqual(STREAMS);
    second?.();
    await waitFor(async () => (await blockedReaders()) === 0, {
      description: 'the idle readers closed',
    });
    expect(hub.readingQueues).toEqual([]);
    // The next page starts them again.
    const again = await hub.subscribe(ignore);
    await waitFor(async () => (await blockedReaders()) === STREAMS.length, {
      description: 'the restarted readers blocked on XREAD',
    });
    again?.();
  });

  it('folds a burst of events into a few snapshots, the last one up to date', async () => {
    const events: ConsoleEvent[] = [];
    const unsubscribe = await hub.subscribe({
      event: (event) => events.push(event),
      close: () => {},
    });
    reads = 0;
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
    const unsubscribe = await hub.subscribe({
      event: (event) => events.push(event),
      close: () => {},
    });
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
    expect(await small.subscribe(ignore)).toBeTypeOf('function');
    expect(await small.subscribe(ignore)).toBeUndefined();
    await small.close();
    expect(await small.subscribe(ignore)).toBeUndefined();
  });
});

import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { countBlockedReaders, RedisServer, waitFor } from '@conveyor/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { QueueEventReaders } from './queue-event-readers.js';

describe('QueueEventReaders', () => {
  let prefix: string;
  let admin: RedisConnection;
  let eventsConnection: RedisConnection;
  let queue: Queue;
  let readers: QueueEventReaders;
  const told: { queue: string; event: string; jobId: unknown }[] = [];

  beforeEach(() => {
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: `r${randomUUID().slice(0, 8)}` },
    ).redis;
    prefix = config.prefix;
    admin = createRedisConnection(config, 'admin');
    eventsConnection = createRedisConnection(config, 'queue-events', { lazyConnect: true });
    queue = new Queue('ingestion', { connection: admin, prefix });
    told.length = 0;
    readers = new QueueEventReaders({
      connection: eventsConnection,
      prefix,
      events: ['added'],
      onEvent: (name, event, args) => told.push({ queue: name, event, jobId: args.jobId }),
      idleMs: 50,
    });
  });
  afterEach(async () => {
    await readers.close();
    await queue.close();
    eventsConnection.disconnect();
    admin.disconnect();
  });

  const blockedReaders = () => countBlockedReaders(admin, prefix);

  it('tells the events written after acquire resolves, not those before', async () => {
    const before = await queue.add('ingest', {});
    expect(eventsConnection.status).toBe('wait');
    await readers.acquire('ingestion');
    const after = await queue.add('ingest', {});
    await waitFor(() => told.length > 0, { description: 'the added event told' });
    expect(told).toEqual([{ queue: 'ingestion', event: 'added', jobId: after.id }]);
    expect(told.some((entry) => entry.jobId === before.id)).toBe(false);
    readers.release('ingestion');
  });

  it('runs while any holder is left, stops once idle, and starts again', async () => {
    await readers.acquire('ingestion');
    await readers.acquire('ingestion');
    await waitFor(async () => (await blockedReaders()) === 1, { description: 'one XREAD' });
    readers.release('ingestion');
    expect(readers.reading).toEqual(['ingestion']);
    readers.release('ingestion');
    await waitFor(() => readers.reading.length === 0, { description: 'the idle reader stopped' });
    await waitFor(async () => (await blockedReaders()) === 0, { description: 'no XREAD left' });
    await readers.acquire('ingestion');
    await queue.add('ingest', {});
    await waitFor(() => told.length === 1, { description: 'the restarted reader told' });
    readers.release('ingestion');
  });

  it('keeps a reader whose holder comes back within the idle time', async () => {
    const reuse = new QueueEventReaders({
      connection: eventsConnection,
      prefix,
      events: ['added'],
      onEvent: () => {},
      idleMs: 60_000,
    });
    try {
      await reuse.acquire('ingestion');
      await waitFor(async () => (await blockedReaders()) === 1, { description: 'one XREAD' });
      reuse.release('ingestion');
      await reuse.acquire('ingestion');
      expect(reuse.reading).toEqual(['ingestion']);
      expect(await blockedReaders()).toBe(1);
      reuse.release('ingestion');
    } finally {
      await reuse.close();
    }
    expect(reuse.reading).toEqual([]);
    await reuse.acquire('ingestion');
    expect(reuse.reading).toEqual([]);
  });

  it('reads from a Redis that was down when the reader was acquired', async () => {
    const server = await RedisServer.start({ appendonly: false });
    await server.kill();
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: server.url, QUEUE_PREFIX: prefix },
    ).redis;
    const connection = createRedisConnection(config, 'queue-events', { lazyConnect: true });
    connection.on('error', () => {});
    const seen: unknown[] = [];
    const errors: Error[] = [];
    const down = new QueueEventReaders({
      connection,
      prefix,
      events: ['added'],
      onEvent: (_queue, _event, args) => seen.push(args.jobId),
      onError: (error) => errors.push(error),
    });
    let own: RedisConnection | undefined;
    let target: Queue | undefined;
    try {
      const acquired = down.acquire('ingestion');
      await waitFor(() => connection.status === 'reconnecting', {
        description: 'the connection failed once',
        timeoutMs: 20_000,
      });
      await server.restart();
      await acquired;
      own = createRedisConnection(config, 'admin');
      target = new Queue('ingestion', { connection: own, prefix });
      await waitFor(async () => (await countBlockedReaders(own as RedisConnection, prefix)) === 1, {
        description: 'the reader blocks on the restarted Redis',
        timeoutMs: 20_000,
      });
      const job = await target.add('ingest', {});
      await waitFor(() => seen.includes(job.id), {
        description: 'the job added after Redis came back told',
        timeoutMs: 20_000,
      });
      expect(seen).toEqual([job.id]);
      down.release('ingestion');
    } finally {
      await down.close();
      await target?.close();
      own?.disconnect();
      connection.disconnect();
      await server.stop();
    }
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { RedisServer, SYNC_NOW, startRedisReplica } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaAckTimeoutError } from './errors/replica-ack-timeout-error.js';
import { Producer } from './producer.js';
import { ReplicaAck } from './replica-ack.js';

const ACK_TIMEOUT_MS = 400;
const ingest = (documentId: string) => ({
  documentId,
  source: { kind: 'inline', text: 'hello' },
});

/** Calls of WAIT the server has run so far. */
async function waitCalls(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('Producer with replica acknowledgement', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let connection: RedisConnection;
  let producer: Producer;
  let onMaster: Redis;
  let onReplica: Redis;
  const prefix = `t${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // Replication needs no disk: no fsync stall on a busy host.
    master = await RedisServer.start({ appendonly: false, extraArgs: SYNC_NOW });
    replica = await startRedisReplica(master, { extraArgs: ['--appendonly', 'no'] });
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: master.url, QUEUE_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '1000' },
    ).redis;
    connection = createRedisConnection(config, 'producer');
    producer = new Producer({
      connection,
      prefix,
      replicaAck: { replicas: 1, timeoutMs: ACK_TIMEOUT_MS },
    });
    await waitUntilReady(connection, 5000);
    onMaster = master.client();
    onReplica = replica.client();
  });
  afterAll(async () => {
    await producer?.close();
    connection?.disconnect();
    onMaster?.disconnect();
    onReplica?.disconnect();
    await replica?.stop();
    await master?.stop();
  });

  it('answers only once the replica holds the job: single, bulk and replay', async () => {
    const single = await producer.enqueue('ingestion', { data: ingest('doc-1') });
    // Read at once on the replica: no replication delay left to wait for.
    expect(await onReplica.exists(`${prefix}:ingestion:${single.id}`)).toBe(1);

    const bulk = await producer.enqueueBulk('ingestion', [
      { data: ingest('doc-2') },
      { data: ingest('doc-3') },
    ]);
    for (const job of bulk) {
      expect(await onReplica.exists(`${prefix}:ingestion:${job.id}`)).toBe(1);
    }

    const deadLetters = producer.deadLetters('ingestion');
    const job = await producer.queue('ingestion').getJob(single.id);
    if (job === undefined) throw new Error('job not found');
    const { id: letter } = await deadLetters.record(job, new Error('boom'), {
      unrecoverable: true,
    });
    const replayed = await producer.replayDeadLetter('ingestion', letter);
    expect(await onReplica.exists(`${prefix}:ingestion:${replayed}`)).toBe(1);
  });

  it('shares one WAIT between concurrent enqueues', async () => {
    const before = await waitCalls(onMaster);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        producer.enqueue('ingestion', { data: ingest(`many-${index}`) }),
      ),
    );
    expect(results).toHaveLength(50);
    const waits = (await waitCalls(onMaster)) - before;
    expect(waits).toBeGreaterThan(0);
    // One WAIT per enqueue would block the connection 50 times in a row.
    expect(waits).toBeLessThan(10);
  });

  it('throws ReplicaAckTimeoutError within the timeout when the replica does not confirm', async () => {
    replica.pause();
    try {
      const started = performance.now();
      const failed = await producer
        .enqueue('ingestion', { data: ingest('doc-paused') }, { idempotencyKey: 'paused-1' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      const elapsedMs = performance.now() - started;
      expect(failed).toBeInstanceOf(ReplicaAckTimeoutError);
      expect(failed).toMatchObject({ code: 'REPLICA_ACK_TIMEOUT', required: 1, acknowledged: 0 });
      expect((failed as Error).message).toMatch(
        /may be stored; retry with the same Idempotency-Key/,
      );
      // Bounded by the producer's deadline (command timeout + 2 x ack timeout), not hanging.
      expect(elapsedMs).toBeLessThan(1000 + 500 + 2 * ACK_TIMEOUT_MS);
      expect(elapsedMs).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 5);
    } finally {
      replica.resume();
    }
    // The master kept the job: the retry with the same key returns it once the replica is back.
    const retried = await producer.enqueue(
      'ingestion',
      { data: ingest('doc-paused') },
      { idempotencyKey: 'paused-1' },
    );
    expect(retried.deduplicated).toBe(true);
    expect(await onReplica.exists(`${prefix}:ingestion:${retried.id}`)).toBe(1);
  });

  it('does not vouch for a job another connection stored when a retry is deduplicated to it', async () => {
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: master.url, QUEUE_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '1000' },
    ).redis;
    // A second API process: its own connection, which never wrote the job.
    const otherConnection = createRedisConnection(config, 'producer');
    const other = new Producer({
      connection: otherConnection,
      prefix,
      replicaAck: { replicas: 1, timeoutMs: ACK_TIMEOUT_MS },
    });
    await waitUntilReady(otherConnection, 5000);
    replica.pause();
    try {
      const first = await producer
        .enqueue('ingestion', { data: ingest('doc-elsewhere') }, { idempotencyKey: 'elsewhere-1' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(first).toBeInstanceOf(ReplicaAckTimeoutError);
      // The retry reaches the other process while the replica still lacks the job.
      const retried = await other
        .enqueue('ingestion', { data: ingest('doc-elsewhere') }, { idempotencyKey: 'elsewhere-1' })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(retried).toBeInstanceOf(ReplicaAckTimeoutError);
    } finally {
      replica.resume();
      await other.close();
      otherConnection.disconnect();
    }
  });

  it('vouches for nothing when the connection was replaced between the write and the WAIT', async () => {
    const ack = new ReplicaAck(connection, { replicas: 1, timeoutMs: ACK_TIMEOUT_MS });
    replica.pause();
    try {
      const failed = await ack
        .after(async () => {
          await connection.set(`${prefix}:written-before-reconnect`, '1');
          // A WAIT on the new connection would count the paused replica: nothing was written on it.
          const reconnected = new Promise((resolve) => connection.once('ready', resolve));
          connection.disconnect(true);
          await reconnected;
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed).toBeInstanceOf(ReplicaAckTimeoutError);
      expect((failed as Error).message).toContain('connection to Redis was replaced');
    } finally {
      replica.resume();
    }
  });

  it('refuses a Redis Cluster connection', () => {
    const cluster = { nodes: () => [] } as unknown as RedisConnection;
    expect(() => new ReplicaAck(cluster, { replicas: 1, timeoutMs: 100 })).toThrow(/Cluster/);
  });
});

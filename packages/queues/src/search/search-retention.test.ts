import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { RedisServer, readUsedMemory } from '@conveyor/testing';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../producer.js';
import {
  searchEntriesKey,
  searchLogKey,
  searchValuePrefix,
  searchValuesKey,
} from '../redis-keys.js';
import { searchJobs } from './search-jobs.js';

const PREFIX = 'retention';
const BATCH = 500;
const JOBS = 20_000;

/**
 * The index follows retention: the catalog keeps 1,000 completed ingestion jobs, and BullMQ
 * removes older ones inside its own scripts, with no event. The index must not keep them.
 */
describe('search index under retention', () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let workerConnection: RedisConnection;
  let producer: Producer;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false });
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: redis.url, QUEUE_PREFIX: PREFIX },
    ).redis;
    connection = createRedisConnection(config, 'producer');
    workerConnection = createRedisConnection(config, 'worker');
    // Bulks write their entries in the add's transaction, so none needs the grace that single
    // enqueues get; without it the test need not last longer than the grace.
    producer = new Producer({
      connection,
      prefix: PREFIX,
      maxJobBytes: 4096,
      search: { graceMs: 0 },
    });
    await waitUntilReady(connection, 5000);
  });
  afterAll(async () => {
    await producer?.close();
    connection?.disconnect();
    workerConnection?.disconnect();
    await redis?.stop();
  });

  const queueKey = `${PREFIX}:ingestion`;
  async function indexSize() {
    return {
      log: await connection.zcard(searchLogKey(queueKey)),
      entries: await connection.hlen(searchEntriesKey(queueKey)),
      values: await connection.zcard(searchValuesKey(queueKey)),
      usedMemory: await readUsedMemory(connection),
    };
  }

  it(`keeps the index and Redis memory flat over ${JOBS} jobs`, { timeout: 240_000 }, async () => {
    const queue = producer.queue('ingestion');
    let completed = 0;
    const worker = new Worker('ingestion', async () => 'ok', {
      connection: workerConnection,
      prefix: PREFIX,
      concurrency: 50,
    });
    worker.on('completed', () => {
      completed += 1;
    });
    const sizes: Awaited<ReturnType<typeof indexSize>>[] = [];
    try {
      for (let start = 0; start < JOBS; start += BATCH) {
        const requests = Array.from({ length: BATCH }, (_, index) => ({
          data: {
            documentId: `doc-${start + index}`,
            orgId: `org-${(start + index) % 7}`,
            source: { kind: 'inline', text: 'x' },
          },
        }));
        await producer.enqueueBulk('ingestion', requests);
        await expect.poll(() => completed, { timeout: 60_000, interval: 20 }).toBe(start + BATCH);
        if ((start + BATCH) % (JOBS / 2) === 0) sizes.push(await indexSize());
      }
    } finally {
      await worker.close();
    }
    const [half, full] = sizes;
    // BullMQ keeps 1,000 completed jobs; the index holds them and at most the last two bulks
    // (the head sweep takes what retention removed up to the bulk before).
    expect(await queue.getCompletedCount()).toBe(1000);
    for (const size of [half, full]) {
      expect(size?.log).toBeLessThanOrEqual(1000 + 2 * BATCH);
      expect(size?.entries).toBe(size?.log);
      // At most two value entries per job still indexed: its documentId and orgId (its tenant
      // is its orgId, which stands in for it).
      expect(size?.values).toBeGreaterThan(0);
      expect(size?.values).toBeLessThanOrEqual((size?.log ?? 0) * 2);
    }
    // Flat: the second 10,000 jobs left Redis about as big as the first did (an index that kept
    // every job would have grown by half).
    expect(full?.usedMemory).toBeLessThan((half?.usedMemory ?? 0) * 1.2);
    console.info('index after 10,000 and 20,000 jobs:', JSON.stringify(sizes));

    // A job retention removed is not found, and its entries are gone.
    expect(
      (await searchJobs(connection, PREFIX, { key: 'documentId', value: 'doc-0' })).jobs,
    ).toEqual([]);
    const doc0 = searchValuePrefix('documentId', 'doc-0');
    expect(
      await connection.zrangebylex(searchValuesKey(queueKey), `[${doc0}`, `(${doc0}:`),
    ).toEqual([]);
    // A retained one is.
    const last = await searchJobs(connection, PREFIX, {
      key: 'documentId',
      value: `doc-${JOBS - 1}`,
    });
    expect(last.jobs).toMatchObject([{ state: 'completed' }]);
    // An org's search pages only over retained jobs, newest first.
    const org = await searchJobs(connection, PREFIX, { key: 'orgId', value: 'org-0', limit: 100 });
    expect(org.jobs.length).toBe(100);
    expect(org.jobs.every((job) => job.state === 'completed')).toBe(true);
  });
});

import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { type RedisClusterHandle, startRedisCluster } from '@conveyor/testing';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../producer.js';
import { searchLogKey } from '../redis-keys.js';
import { searchJobs } from './search-jobs.js';

const ingest = (documentId: string, orgId: string) => ({
  data: { documentId, orgId, source: { kind: 'inline', text: 'x' } },
});

/** The index lives in the queue's slot: writes, sweeps and reads work on a 3-master Cluster. */
describe('search on Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let connection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(',') },
    ).redis;
    prefix = config.prefix;
    connection = createRedisConnection(config, 'producer');
    // No grace: one enqueue at a time, so no entry is ever ahead of its job when a sweep runs.
    producer = new Producer({ connection, prefix, search: { graceMs: 0 } });
    await producer.queue('ingestion').waitUntilReady();
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    if (connection) await closeRedisConnection(connection);
    await cluster?.stop();
  });

  it('indexes, sweeps and searches, every key in the queue slot', { timeout: 60_000 }, async () => {
    expect(prefix).toBe('{conveyor}');
    const bulk = await producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 40 }, (_, index) => ingest(`c-${index}`, 'org-c')),
    );
    const queue = producer.queue('ingestion');
    const removed = bulk.slice(0, 10).map((job) => job.id);
    await Promise.all(removed.map((id) => queue.remove(id)));
    // Each enqueue sweeps about two entries of the log: 100 more go over all of it.
    for (let index = 0; index < 100; index += 1) {
      await producer.enqueue('ingestion', ingest(`d-${index}`, 'org-d'));
    }
    await expect
      .poll(() => connection.zcard(searchLogKey(`${prefix}:ingestion`)), { timeout: 10_000 })
      .toBe(130);
    const page = await searchJobs(connection, prefix, { key: 'orgId', value: 'org-c', limit: 100 });
    expect(page.jobs.map((job) => job.id).sort()).toEqual(
      bulk
        .slice(10)
        .map((job) => job.id)
        .sort(),
    );

    const job = await queue.getJob(bulk[20]?.id ?? '');
    const deadLetters = producer.deadLetters('ingestion');
    const { id: letter } = await deadLetters.record(job as never, new Error('no'), {
      unrecoverable: true,
    });
    const found = await searchJobs(connection, prefix, { key: 'documentId', value: 'c-20' });
    expect(found.jobs.map((each) => [each.id, each.deadLetter])).toEqual([
      [letter, true],
      [bulk[20]?.id, false],
    ]);

    // Every search key sits in the slot of the queue's own keys.
    const slot = await (connection as Cluster).cluster('KEYSLOT', `${prefix}:ingestion:meta`);
    let checked = 0;
    for (const node of (connection as Cluster).nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', '*search*', 'COUNT', 1000);
        for (const key of keys) {
          expect(await node.cluster('KEYSLOT', key)).toBe(slot);
          checked += 1;
        }
        cursor = next;
      } while (cursor !== '0');
    }
    // The log, entries, cursor and values set of the queue and of its dead letters.
    expect(checked).toBe(8);
  });
});

import { RedisServer } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobKeyOf,
  searchCursorKey,
  searchEntriesKey,
  searchLogKey,
  searchValueEntry,
  searchValuesKey,
} from '../redis-keys.js';
import { SearchIndex } from './search-index.js';

describe('SearchIndex.prune', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: false });
    client = redis.client();
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('drops only the entries of gone jobs, one ZREM per key and chunk, and moves the cursor back', async () => {
    const queueKey = 'conveyor:{prune}';
    const values = searchValuesKey(queueKey);
    const score = (index: number) => 1_764_620_000_000_000 + index;
    const org = (id: string, index: number) => searchValueEntry('orgId', 'org-1', score(index), id);
    const doc = (id: string, index: number) =>
      searchValueEntry('documentId', `doc-${id}`, score(index), id);
    // 2,500 entries: past the 2,000 values a script sends in one command.
    const ids = Array.from({ length: 2500 }, (_, index) => `j-${index}`);
    const alive = new Set(ids.filter((_, index) => index % 5 === 0));
    const setup = client.pipeline();
    ids.forEach((id, index) => {
      setup.zadd(searchLogKey(queueKey), score(index), id);
      setup.hset(searchEntriesKey(queueKey), id, '{}');
      setup.zadd(values, 0, org(id, index), 0, doc(id, index));
      if (alive.has(id)) setup.hset(jobKeyOf(queueKey, id), 'name', 'ingest');
    });
    setup.set(searchCursorKey(queueKey), 2400, 'PX', 60_000);
    await setup.exec();

    const index = new SearchIndex();
    await client.config('RESETSTAT');
    let removed = 0;
    for (let start = 0; start < ids.length; start += 500) {
      removed += await index.prune(
        client,
        queueKey,
        ids
          .slice(start, start + 500)
          .map((id) => ({ id, keys: { orgId: 'org-1', documentId: `doc-${id}` } })),
      );
    }

    expect(removed).toBe(2000);
    // Per chunk of 500 candidates: one ZREM of their 800 value entries, one of the log.
    const zrem = /cmdstat_zrem:calls=(\d+)/.exec(await client.info('commandstats'))?.[1];
    expect(Number(zrem)).toBe(5 + 5);
    expect(await client.zrange(searchLogKey(queueKey), 0, -1)).toEqual([...alive]);
    expect((await client.hkeys(searchEntriesKey(queueKey))).sort()).toEqual([...alive].sort());
    const left = ids.flatMap((id, index) =>
      alive.has(id) ? [org(id, index), doc(id, index)] : [],
    );
    expect((await client.zrange(values, 0, -1)).sort()).toEqual(left.sort());
    expect(await client.get(searchCursorKey(queueKey))).toBe('400');
  });
});

import { RedisServer } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobKeyOf,
  searchCursorKey,
  searchEntriesKey,
  searchLogKey,
  searchValueKey,
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

  it('drops only the entries of gone jobs, one ZREM per key, and moves the cursor back', async () => {
    const queueKey = 'conveyor:{prune}';
    const org = searchValueKey(queueKey, 'orgId', 'org-1');
    const doc = (id: string) => searchValueKey(queueKey, 'documentId', `doc-${id}`);
    // 2,500 entries: past the 2,000 values a script sends in one command.
    const ids = Array.from({ length: 2500 }, (_, index) => `j-${index}`);
    const alive = new Set(ids.filter((_, index) => index % 5 === 0));
    const setup = client.pipeline();
    ids.forEach((id, index) => {
      setup.zadd(searchLogKey(queueKey), index, id);
      setup.hset(searchEntriesKey(queueKey), id, '{}');
      setup.zadd(org, index, id);
      setup.zadd(doc(id), index, id);
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
    // One ZREM per own value key, and one per chunk for the shared key and the log: not three
    // per entry.
    const zrem = /cmdstat_zrem:calls=(\d+)/.exec(await client.info('commandstats'))?.[1];
    expect(Number(zrem)).toBe(2000 + 5 + 5);
    expect(await client.zrange(searchLogKey(queueKey), 0, -1)).toEqual([...alive]);
    expect((await client.hkeys(searchEntriesKey(queueKey))).sort()).toEqual([...alive].sort());
    expect(await client.zrange(org, 0, -1)).toEqual([...alive]);
    expect(await client.exists(doc('j-1'))).toBe(0);
    expect(await client.zrange(doc('j-5'), 0, -1)).toEqual(['j-5']);
    expect(await client.get(searchCursorKey(queueKey))).toBe('400');
  });
});

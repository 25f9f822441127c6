import { RedisServer } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobKeyOf,
  searchCursorKey,
  searchEntriesKey,
  searchHeadFloorKey,
  searchLogKey,
  searchValueEntry,
  searchValuesKey,
} from '../redis-keys.js';
import { SearchIndex } from './search-index.js';

describe('SearchIndex sweep', () => {
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

  it('takes gone entries from the head, past long-lived jobs, and stops at the first young one', async () => {
    const queueKey = 'conveyor:{head}';
    const log = searchLogKey(queueKey);
    const values = searchValuesKey(queueKey);
    const now = Date.now();
    // Scores are enqueue times: a day-long delayed job long ago, jobs retention removed, then
    // jobs younger than longLivedMs (30 s by default) that are still there, and one gone.
    const entries = [
      { id: 'delayed-1', ageMs: 3_600_000, alive: true },
      { id: 'delayed-2', ageMs: 3_500_000, alive: true },
      ...Array.from({ length: 5 }, (_, index) => ({
        id: `gone-${index}`,
        ageMs: 60_000 - index,
        alive: false,
      })),
      { id: 'young-1', ageMs: 10_000, alive: true },
      { id: 'gone-after-young', ageMs: 9000, alive: false },
      { id: 'young-2', ageMs: 8000, alive: true },
    ].map((entry) => ({ ...entry, score: (now - entry.ageMs) * 1000 }));
    const setup = client.pipeline();
    for (const { id, score, alive } of entries) {
      setup.zadd(log, score, id);
      setup.hset(searchEntriesKey(queueKey), id, JSON.stringify({ orgId: 'org-1' }));
      setup.zadd(values, 0, searchValueEntry('orgId', 'org-1', score, id));
      if (alive) setup.hset(jobKeyOf(queueKey, id), 'name', 'ingest');
    }
    // The cursor sweep reads past the log's end: what goes is the head sweep's doing.
    setup.set(searchCursorKey(queueKey), 1000, 'PX', 60_000);
    await setup.exec();

    const index = new SearchIndex({ sweepEvery: 20, graceMs: 0 });
    await client.hset(jobKeyOf(queueKey, 'new'), 'name', 'ingest');
    await index.write(client, queueKey, [{ id: 'new', keys: { orgId: 'org-1' } }], {
      ttlMs: 60_000,
      stored: false,
    });

    const floor = searchHeadFloorKey(queueKey);
    await expect.poll(() => client.get(floor)).toBe(String(entries[1]?.score));
    const kept = ['delayed-1', 'delayed-2', 'young-1', 'young-2', 'new'];
    await expect.poll(() => client.zrange(log, 0, -1)).toEqual(kept);
    expect((await client.hkeys(searchEntriesKey(queueKey))).sort()).toEqual([...kept].sort());
    expect(await client.zcard(values)).toBe(kept.length);
    // The next sweep starts past the long-lived jobs: a gone one there waits for the cursor.
    await client.del(jobKeyOf(queueKey, 'delayed-1'), jobKeyOf(queueKey, 'young-1'));
    await client.hset(jobKeyOf(queueKey, 'newer'), 'name', 'ingest');
    await client.set(searchCursorKey(queueKey), 1000, 'PX', 60_000);
    const again = new SearchIndex({ sweepEvery: 20, graceMs: 0 });
    await again.write(client, queueKey, [{ id: 'newer', keys: { orgId: 'org-1' } }], {
      ttlMs: 60_000,
      stored: false,
    });
    const left = ['delayed-1', 'delayed-2', 'young-2', 'new', 'newer'];
    await expect.poll(() => client.zrange(log, 0, -1)).toEqual(left);
  });
});

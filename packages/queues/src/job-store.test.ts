import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  createRedisConnection,
  parseEnvironment,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { auditScriptKeys, MaxmemoryRedis, RedisServer } from '@conveyor/testing';
import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, type JobToStore, MAX_JOBS_PER_CALL } from './job-store.js';
import { QUEUE_CATALOG } from './queue-catalog.js';
import {
  SEARCH_SCORE_DIGITS,
  searchCursorKey,
  searchLogKey,
  searchValuePrefix,
  searchValuesKey,
} from './redis-keys.js';
import { SearchIndex } from './search/search-index.js';
import { setTenant } from './tenants/job-tenant.js';

const data = (documentId: string, text = 'hello') => ({
  documentId,
  source: { kind: 'inline', text },
  orgId: 'org-1',
});

function storable(documentId: string, opts: JobsOptions = {}, tenant = 'org-1'): JobToStore {
  const options: JobsOptions = { sizeLimit: 256 * 1024, jobId: `j-${randomUUID()}`, ...opts };
  setTenant(options, tenant);
  return {
    name: 'ingest',
    data: data(documentId),
    opts: options,
    turn: { tenant },
    searchKeys: { documentId, orgId: 'org-1', tenant },
  };
}

/** A job hash with the fields that differ between two adds of the same job set aside. */
async function storedShape(client: Redis, key: string) {
  const { opts, timestamp, ...fields } = await client.hgetall(key);
  const { jobId, ...options } = JSON.parse(opts ?? '{}') as Record<string, unknown>;
  return { fields, options, timestamp: Number(timestamp) > 0, jobId: typeof jobId };
}

describe('JobStore', () => {
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

  const queueOf = (name: string, prefix = 'conveyor') =>
    new Queue(name, {
      connection: redis.client(),
      prefix,
      defaultJobOptions: QUEUE_CATALOG.ingestion.defaultJobOptions,
    });

  it('stores a job as BullMQ stores it, with its turn as its priority and its events', async () => {
    const ours = queueOf(`same-${randomUUID().slice(0, 6)}`);
    const theirs = queueOf(ours.name, 'bullmq');
    const store = new JobStore(client, new SearchIndex());
    const job = storable('doc-1', { attempts: 5 });
    const [id] = await store.store(ours, 'ingestion', [store.build(ours, job)]);
    expect(id).toBe(job.opts.jobId);
    const turn = Number(await client.hget(ours.toKey(String(id)), 'priority'));
    expect(turn).toBeGreaterThan(0);
    const added = await theirs.add('ingest', job.data, { ...job.opts, priority: turn });

    expect(await storedShape(client, ours.toKey(String(id)))).toEqual(
      await storedShape(client, theirs.toKey(String(added.id))),
    );
    const events = async (queue: Queue) =>
      (await client.xrange(queue.toKey('events'), '-', '+')).map(([, fields]) =>
        fields.filter((_, index) => fields[index - 1] !== 'jobId'),
      );
    expect(await events(ours)).toEqual(await events(theirs));
    expect((await ours.getJob(String(id)))?.data).toEqual(job.data);
    expect(await ours.getPrioritizedCount()).toBe(1);
    expect(await client.zscore(ours.toKey('marker'), '0')).toBe('0');
    await Promise.all([ours.close(), theirs.close()]);
  });

  it('gives each tenant its next turn, round-robin, and indexes every job', async () => {
    const queue = queueOf(`turns-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const jobs = [
      storable('a-1', {}, 'a'),
      storable('a-2', {}, 'a'),
      storable('a-3', {}, 'a'),
      storable('b-1', {}, 'b'),
    ];
    const ids = await store.store(
      queue,
      'ingestion',
      jobs.map((job) => store.build(queue, job)),
    );
    const order = (await queue.getPrioritized(0, -1)).map((job) => job.id);
    expect(order).toEqual([ids[0], ids[3], ids[1], ids[2]]);
    const values = searchValuesKey(queue.qualifiedName);
    const prefix = searchValuePrefix('tenant', 'a');
    const indexed = await client.zrangebylex(values, `[${prefix}`, `(${prefix}:`);
    expect(indexed.map((entry) => entry.slice(prefix.length + SEARCH_SCORE_DIGITS)).sort()).toEqual(
      ids.slice(0, 3).sort(),
    );
    expect(await client.pttl(values)).toBeGreaterThan(0);
    expect(await client.zcard(searchLogKey(queue.qualifiedName))).toBe(4);
    await queue.close();
  });

  it('continues the stored turns of the tenants of an earlier call (read in one go)', async () => {
    const queue = queueOf(`turns-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const storeAll = (jobs: JobToStore[]) =>
      store.store(
        queue,
        'ingestion',
        jobs.map((job) => store.build(queue, job)),
      );
    const first = await storeAll([
      storable('a-1', {}, 'a'),
      storable('a-2', {}, 'a'),
      storable('b-1', {}, 'b'),
    ]);
    // a's next turn is 3, b's 2, c has none stored.
    const second = await storeAll([
      storable('a-3', {}, 'a'),
      storable('c-1', {}, 'c'),
      storable('b-2', {}, 'b'),
    ]);
    const order = (await queue.getPrioritized(0, -1)).map((job) => job.id);
    expect(order).toEqual([first[0], first[2], second[1], first[1], second[2], second[0]]);
    await queue.close();
  });

  it('stores a deduplicated job once and answers the held id, as BullMQ does', async () => {
    const queue = queueOf(`dedupe-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const deduplication = { id: 'Ev1', ttl: 60_000 };
    const first = storable('e-1', { deduplication });
    const second = storable('e-2', { deduplication });
    const ids = await store.store(queue, 'ingestion', [
      store.build(queue, first),
      store.build(queue, second),
    ]);
    expect(ids).toEqual([first.opts.jobId, first.opts.jobId]);
    const events = await client.xrange(queue.toKey('events'), '-', '+');
    expect(events.map(([, fields]) => fields.slice(0, 6)).at(-1)).toEqual([
      'event',
      'deduplicated',
      'jobId',
      first.opts.jobId,
      'deduplicationId',
      'Ev1',
    ]);
    expect(await client.exists(queue.toKey(String(second.opts.jobId)))).toBe(0);
    expect(await queue.getDeduplicationJobId('Ev1')).toBe(first.opts.jobId);
    // No `deid` on the hash: removing the job (as retention does) leaves the key its TTL.
    expect(await client.hexists(queue.toKey(String(first.opts.jobId)), 'deid')).toBe(0);
    await queue.remove(String(first.opts.jobId));
    const third = storable('e-3', { deduplication });
    expect(await store.store(queue, 'ingestion', [store.build(queue, third)])).toEqual([
      first.opts.jobId,
    ]);
    expect(await client.pttl(queue.toKey('de:Ev1'))).toBeGreaterThan(0);
    await queue.close();
  });

  it('writes a marker with a deduplicated job and re-arms the key from it once the job is gone', async () => {
    const queue = queueOf(`marker-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const marker = queue.toKey('idem:Ev2');
    const marked = (documentId: string) => ({
      ...storable(documentId, { deduplication: { id: 'Ev2', ttl: 60_000 } }),
      marker,
    });
    const first = marked('m-1');
    const [id] = await store.store(queue, 'ingestion', [store.build(queue, first)]);
    expect(id).toBe(first.opts.jobId);
    expect(await client.get(marker)).toBe(id);
    expect(await client.pttl(marker)).toBeGreaterThan(59_000);

    // Retention removed the job and its deduplication key went with it (as BullMQ deletes the
    // key of a job its own scripts stored, a delayed one, which carries `deid`).
    await queue.remove(String(id));
    await client.del(queue.toKey('de:Ev2'));
    expect(await queue.getDeduplicationJobId('Ev2')).toBeNull();
    const [again] = await store.store(queue, 'ingestion', [store.build(queue, marked('m-2'))]);
    expect(again).toBe(id);
    expect(await queue.getDeduplicationJobId('Ev2')).toBe(id);
    expect(await queue.getJobCountByTypes('prioritized')).toBe(0);

    // A lost marker is written again by the next deduplicated store, with the held id.
    const [live] = await store.store(queue, 'ingestion', [
      store.build(queue, { ...storable('m-3', { deduplication: { id: 'Ev3', ttl: 60_000 } }) }),
    ]);
    const lost = queue.toKey('idem:Ev3');
    const [held] = await store.store(queue, 'ingestion', [
      store.build(queue, {
        ...storable('m-4', { deduplication: { id: 'Ev3', ttl: 60_000 } }),
        marker: lost,
      }),
    ]);
    expect(held).toBe(live);
    expect(await client.get(lost)).toBe(live);
    await queue.close();
  });

  it('sends the single jobs of one turn of the event loop as one script call', async () => {
    const queue = queueOf(`soon-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    await client.config('RESETSTAT');
    const jobs = Array.from({ length: 20 }, (_, index) => storable(`s-${index}`));
    const ids = await Promise.all(
      jobs.map((job) => store.storeSoon(queue, 'ingestion', store.build(queue, job))),
    );
    const stats = await client.info('commandstats');
    const calls = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls('evalsha') + calls('eval')).toBe(1);
    expect(ids).toEqual(jobs.map((job) => job.opts.jobId));
    expect(await queue.getPrioritizedCount()).toBe(20);
    await queue.close();
  });

  it('sends the single jobs of a turn in that turn, behind the commands sent before them', async () => {
    const queue = queueOf(`turn-${randomUUID().slice(0, 6)}`);
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: redis.url }).redis;
    // The API's connection, which holds a turn's writes and sends them in one at its end.
    const producer = createRedisConnection(config, 'producer');
    await waitUntilReady(producer, 5000);
    try {
      const store = new JobStore(producer, new SearchIndex());
      const job = storable('turn-1');
      // A command sent earlier in the turn, as a Slack event's re-arm is sent before its store.
      const earlier = producer.echo('re-arm');
      const stored = store.storeSoon(queue, 'ingestion', store.build(queue, job));
      const socket = (producer as Redis).stream as Socket;
      const heldAtEndOfTurn = await new Promise<number>((resolve) =>
        setImmediate(() => resolve(socket.writableCorked + socket.writableLength)),
      );
      expect(heldAtEndOfTurn).toBe(0);
      expect(await Promise.all([earlier, stored])).toEqual(['re-arm', job.opts.jobId]);
    } finally {
      producer.disconnect();
      await queue.close();
    }
  });

  it('stores a burst of 3,000 single jobs of one turn once each, in several calls', async () => {
    const queue = queueOf(`burst-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex({ sweepEvery: 1, graceMs: 0 }));
    // 9,000 older entries, all droppable with no grace, and the sweep at the log's start: one
    // sweep of the whole burst's window would read more than Lua's unpack takes.
    for (let round = 0; round < 9; round++) {
      const bulk = Array.from({ length: 1000 }, (_, index) => storable(`old-${round}-${index}`));
      await store.store(
        queue,
        'ingestion',
        bulk.map((job) => store.build(queue, job)),
      );
    }
    await client.del(searchCursorKey(queue.qualifiedName));
    await client.config('RESETSTAT');
    const jobs = Array.from({ length: 3000 }, (_, index) => storable(`burst-${index}`));
    const ids = await Promise.all(
      jobs.map((job) => store.storeSoon(queue, 'ingestion', store.build(queue, job))),
    );
    const stats = await client.info('commandstats');
    const calls = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls('evalsha') + calls('eval')).toBeGreaterThanOrEqual(
      Math.ceil(3000 / MAX_JOBS_PER_CALL),
    );
    expect(ids).toEqual(jobs.map((job) => job.opts.jobId));
    expect(await client.get(queue.toKey('id'))).toBe('12000');
    expect(await queue.getPrioritizedCount()).toBe(12000);
    await queue.close();
    // 12,000 jobs through the store script: seconds alone, several times that on a machine whose
    // cores are all taken by other work.
  }, 90_000);

  it('stores a numeric backoff as BullMQ does, and refuses repeat options', async () => {
    const queue = queueOf(`backoff-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const [id] = await store.store(queue, 'ingestion', [
      store.build(queue, storable('b-1', { backoff: 1500 })),
    ]);
    const opts = JSON.parse((await client.hget(queue.toKey(String(id)), 'opts')) ?? '{}');
    expect(opts.backoff).toEqual({ type: 'fixed', delay: 1500 });
    expect(JobStore.accepts({ opts: { backoff: 1500 } })).toBe(true);
    expect(JobStore.accepts({ opts: { repeat: { every: 1000 } } as JobsOptions })).toBe(false);
    expect(JobStore.accepts({ opts: { repeatJobKey: 'r' } })).toBe(false);
    await queue.close();
  });

  it('writes options as the queue defaults, then the job own, in BullMQ short names', async () => {
    const queue = queueOf(`opts-${randomUUID().slice(0, 6)}`);
    const store = new JobStore(client, new SearchIndex());
    const defaults = QUEUE_CATALOG.ingestion.defaultJobOptions;
    const own = { tenant: 'org-"1"', expiresAt: 17, lifo: true, priority: 4 };
    const plain = storable('o-1', own);
    const { priority: _turn, ...stored } = plain.opts;
    expect(store.build(queue, plain).opts).toBe(JSON.stringify({ ...defaults, ...stored }));
    const deduplication = { id: 'd1', ttl: 1000 };
    const deduplicated = storable('o-2', { ...own, deduplication });
    expect(store.build(queue, deduplicated).opts).toBe(
      JSON.stringify({ ...defaults, ...stored, jobId: deduplicated.opts.jobId, de: deduplication }),
    );
    // A default the job overrides keeps its place.
    const overriding = storable('o-3', { attempts: 9 });
    expect(store.build(queue, overriding).opts).toBe(
      JSON.stringify({ ...defaults, attempts: 9, ...overriding.opts }),
    );
    await queue.close();
  });

  it('touches only keys it was given, so it is correct on Redis Cluster by contract', async () => {
    const queue = queueOf(`audit-${randomUUID().slice(0, 6)}`, '{audit}');
    const store = new JobStore(client, new SearchIndex({ sweepEvery: 1, graceMs: 0 }));
    await store.store(queue, 'ingestion', [store.build(queue, storable('warm'))]);
    const audit = await auditScriptKeys(redis.url, () =>
      store.store(queue, 'ingestion', [
        store.build(queue, {
          ...storable('x-1', { deduplication: { id: 'd1', ttl: 1000 } }),
          marker: queue.toKey('idem:d1'),
        }),
        store.build(queue, storable('x-2', {}, 'other')),
      ]),
    );
    expect(audit.scripts).toBeGreaterThanOrEqual(1);
    expect(audit.touched).toContain(queue.toKey('prioritized'));
    expect(audit.touched).toContain(queue.toKey('idem:d1'));
    expect(audit.undeclared).toEqual([]);
    await queue.close();
  });
});

describe('JobStore at maxmemory', () => {
  let redis: MaxmemoryRedis;
  let admin: Redis;
  let queue: Queue;
  beforeAll(async () => {
    redis = await MaxmemoryRedis.start();
    admin = redis.admin;
    queue = new Queue('bulk', { connection: redis.client({ maxRetriesPerRequest: 1 }) });
    await queue.waitUntilReady();
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  /** `MAX_BULK_JOBS` of the API, which the queues package does not import. */
  const maxBulk = 1000;
  const stored = async (on = queue) => (await admin.keys(`bull:${on.name}:j-*`)).length;
  const bulk = (store: JobStore, tag: string, length = 400, on = queue) =>
    Array.from({ length }, (_, index) => {
      const job = storable(`${tag}-${index}`);
      job.data = { ...data(`${tag}-${index}`, 'x'.repeat(4096)) };
      return store.build(on, job);
    });

  it('stores nothing of a bulk that reaches the limit partway, and all of one that fits', async () => {
    const store = new JobStore(admin, new SearchIndex());
    await redis.leaveRoom(400 * 1024);
    await expect(store.store(queue, 'ingestion', bulk(store, 'crossing'))).rejects.toThrow(/^OOM/);
    expect(await stored()).toBe(0);
    expect(await admin.exists(queue.toKey('tenants'))).toBe(0);
    await redis.lift();
    const ids = await store.store(queue, 'ingestion', bulk(store, 'fits'));
    expect(await stored()).toBe(400);
    expect((await queue.getPrioritized(0, -1)).map((job) => job.id).sort()).toEqual(ids.sort());
  });

  it('stores a bulk of the maximum size the API takes all or nothing', async () => {
    const big = new Queue('bulk-max', { connection: redis.client() });
    const store = new JobStore(admin, new SearchIndex());
    await redis.leaveRoom(maxBulk * 1024);
    await expect(
      store.store(big, 'ingestion', bulk(store, 'crossing', maxBulk, big)),
    ).rejects.toThrow(/^OOM/);
    expect(await stored(big)).toBe(0);
    await redis.lift();
    const ids = await store.store(big, 'ingestion', bulk(store, 'fits', maxBulk, big));
    expect(await stored(big)).toBe(maxBulk);
    expect(new Set(ids).size).toBe(maxBulk);
    await big.close();
  });

  it('asks for the sweep again after a store that asked for it was refused', async () => {
    const again = new Queue('bulk-again', { connection: redis.client() });
    const store = new JobStore(admin, new SearchIndex({ sweepEvery: 1000 }));
    await redis.leaveRoom(100 * 1024);
    await expect(
      store.store(again, 'ingestion', bulk(store, 'refused', 100, again)),
    ).rejects.toThrow(/^OOM/);
    await redis.lift();
    expect(await admin.exists(searchCursorKey(again.qualifiedName))).toBe(0);
    await store.store(again, 'ingestion', bulk(store, 'next', 1, again));
    expect(await admin.exists(searchCursorKey(again.qualifiedName))).toBe(1);
    await again.close();
  });
});

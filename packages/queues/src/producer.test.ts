import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { RedisServer, slackSamples, waitFor } from '@conveyor/testing';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
import { PayloadTooLargeError } from './errors/payload-too-large-error.js';
import { PayloadValidationError } from './errors/payload-validation-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { UnknownQueueError } from './errors/unknown-queue-error.js';
import { expiresAtOf } from './job-expiry.js';
import { Producer } from './producer.js';

const configFor = (url: string, prefix: string) =>
  parseEnvironment(
    { redis: redisEnvSchema },
    { REDIS_URL: url, QUEUE_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '500' },
  ).redis;

const slackEvent = (eventId: string) => ({
  type: 'event_callback',
  team_id: 'T1',
  event: { type: 'app_mention', user: 'U1', text: 'hi', channel: 'C1', ts: '1.2' },
  event_id: eventId,
  event_time: 1_700_000_000,
});
const ingest = (documentId: string) => ({
  documentId,
  source: { kind: 'inline', text: 'hello' },
});

describe('Producer', () => {
  let connection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    prefix = `t${randomUUID().slice(0, 8)}`;
    connection = createRedisConnection(configFor(inject('redisUrl'), prefix), 'producer');
    producer = new Producer({ connection, prefix, maxJobBytes: 2048 });
    await waitUntilReady(connection, 5000);
  });
  afterAll(async () => {
    await producer.close();
    connection.disconnect();
  });

  it('stores a job with the catalog policy and returns its id', async () => {
    await producer.queue('ingestion').waitUntilReady();
    const result = await producer.enqueue('ingestion', { data: ingest('doc-1') });
    expect(result).toMatchObject({ queue: 'ingestion', name: 'ingest', deduplicated: false });
    const job = await producer.queue('ingestion').getJob(result.id);
    expect(job?.data).toEqual({
      documentId: 'doc-1',
      source: { kind: 'inline', text: 'hello', mediaType: 'text/plain' },
    });
    expect(job?.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 5000 } });
  });

  it('applies delay and priority', async () => {
    const result = await producer.enqueue('ingestion', {
      data: ingest('doc-2'),
      options: { delay: 60_000, priority: 3 },
    });
    const job = await producer.queue('ingestion').getJob(result.id);
    expect(await job?.getState()).toBe('delayed');
    // The BullMQ priority is a fair turn: the caller's priority places it 3 - 1 turns past the head.
    expect(job?.opts.priority).toBeGreaterThanOrEqual(3);
  });

  it('sets the deadline of expiresInMs, and the catalog default of slash commands', async () => {
    const before = Date.now();
    const result = await producer.enqueue('ingestion', {
      data: ingest('doc-expiring'),
      options: { expiresInMs: 5000 },
    });
    const job = await producer.queue('ingestion').getJob(result.id);
    expect(expiresAtOf(job as Job)).toBeGreaterThanOrEqual(before + 5000);
    expect(expiresAtOf(job as Job)).toBeLessThanOrEqual(Date.now() + 5000);
    const plain = await producer.enqueue('ingestion', { data: ingest('doc-forever') });
    expect(expiresAtOf((await producer.queue('ingestion').getJob(plain.id)) as Job)).toBe(
      undefined,
    );

    const command = { ...slackSamples.slashCommand, trigger_id: `trig-${randomUUID()}` };
    const slash = await producer.enqueue('slack-events', { name: 'slash_command', data: command });
    const slashJob = await producer.queue('slack-events').getJob(slash.id);
    const left = (expiresAtOf(slashJob as Job) ?? 0) - Date.now();
    expect(left).toBeGreaterThan(29 * 60_000);
    expect(left).toBeLessThanOrEqual(30 * 60_000);
    await Promise.all([result, plain].map((r) => producer.queue('ingestion').remove(r.id)));
  });

  it('returns the first job for a repeated Idempotency-Key, also after the job was removed', async () => {
    const key = `key-${randomUUID()}`;
    const first = await producer.enqueue(
      'ingestion',
      { data: ingest('doc-3') },
      { idempotencyKey: key },
    );
    const second = await producer.enqueue(
      'ingestion',
      { data: ingest('doc-3') },
      { idempotencyKey: key },
    );
    expect(second).toEqual({ ...first, deduplicated: true });
    // Retention removes finished jobs after an hour; BullMQ drops its dedup key with the job.
    await producer.queue('ingestion').remove(first.id);
    const third = await producer.enqueue(
      'ingestion',
      { data: ingest('doc-3') },
      { idempotencyKey: key },
    );
    expect(third).toEqual({ ...first, deduplicated: true });
    expect(await producer.queue('ingestion').getJobCountByTypes('waiting', 'prioritized')).toBe(1);
  });

  it("scopes Idempotency-Keys per client: another client's identical key stores its own job", async () => {
    const key = `doc-42-v1-${randomUUID()}`;
    const queue = producer.queue('ingestion');
    const before = await queue.getJobCountByTypes('waiting', 'prioritized');
    const fromB = await producer.enqueue(
      'ingestion',
      { data: ingest('b-doc') },
      { idempotencyKey: key, client: 'b' },
    );
    const fromA = await producer.enqueue(
      'ingestion',
      { data: ingest('a-doc') },
      { idempotencyKey: key, client: 'a' },
    );
    expect(fromA.deduplicated).toBe(false);
    expect(fromA.id).not.toBe(fromB.id);
    expect((await queue.getJob(fromA.id))?.data).toMatchObject({ documentId: 'a-doc' });
    const againA = await producer.enqueue(
      'ingestion',
      { data: ingest('a-doc') },
      { idempotencyKey: key, client: 'a' },
    );
    expect(againA).toEqual({ ...fromA, deduplicated: true });
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before + 2);

    const bulkKey = `bulk-${randomUUID()}`;
    const bulkB = await producer.enqueueBulk('ingestion', [{ data: ingest('bb') }], {
      idempotencyKey: bulkKey,
      client: 'b',
    });
    const bulkA = await producer.enqueueBulk('ingestion', [{ data: ingest('ba') }], {
      idempotencyKey: bulkKey,
      client: 'a',
    });
    expect(bulkA[0]?.deduplicated).toBe(false);
    expect(bulkA[0]?.id).not.toBe(bulkB[0]?.id);
  });

  it('refuses a key reused with a different request, storing nothing, also after removal', async () => {
    const key = `reuse-${randomUUID()}`;
    const queue = producer.queue('ingestion');
    const options = { idempotencyKey: key, client: 'a' };
    const first = await producer.enqueue('ingestion', { data: ingest('r-1') }, options);
    const before = await queue.getJobCountByTypes('waiting', 'prioritized');
    await expect(
      producer.enqueue('ingestion', { data: ingest('r-2') }, options),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await expect(
      producer.enqueue('ingestion', { data: ingest('r-1'), options: { delay: 5 } }, options),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    // The same request with its keys in another order is the same request.
    const reordered = await producer.enqueue(
      'ingestion',
      { data: { source: { text: 'hello', kind: 'inline' }, documentId: 'r-1' } },
      options,
    );
    expect(reordered).toEqual({ ...first, deduplicated: true });
    await queue.remove(first.id);
    await expect(
      producer.enqueue('ingestion', { data: ingest('r-3') }, options),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before - 1);

    const bulkKey = { idempotencyKey: `bulk-reuse-${randomUUID()}`, client: 'a' };
    await producer.enqueueBulk('ingestion', [{ data: ingest('br-1') }], bulkKey);
    const beforeBulk = await queue.getJobCountByTypes('waiting', 'prioritized');
    await expect(
      producer.enqueueBulk(
        'ingestion',
        [{ data: ingest('br-1') }, { data: ingest('br-2') }],
        bulkKey,
      ),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(beforeBulk);
  });

  it('keeps the first request of a key when two race through two processes', async () => {
    const key = `race-fp-${randomUUID()}`;
    const options = { idempotencyKey: key, client: 'a' };
    const queue = producer.queue('ingestion');
    const first = await producer.enqueue('ingestion', { data: ingest('race-a') }, options);
    // Rewind to the moment between request A's check and its add: only A's fingerprint is in
    // Redis, no job, no marker, no BullMQ dedupe key. Request B, with another body, arrives now.
    const admin = connection;
    {
      const fingerprints = await admin.keys(`${prefix}:ingestion:idemfp:*`);
      await queue.remove(first.id);
      const keep = new Set(fingerprints);
      for (const stale of [
        ...(await admin.keys(`${prefix}:ingestion:idem:*`)),
        ...(await admin.keys(`${prefix}:ingestion:de:*`)),
      ]) {
        if (!keep.has(stale)) await admin.del(stale);
      }
      await expect(
        producer.enqueue('ingestion', { data: ingest('race-b') }, options),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    }
  });

  it("holds a client to its quota of jobs waiting, counting a worker's take and not another client", async () => {
    const client = `q-${randomUUID().slice(0, 8)}`;
    const quota = { client, maxJobs: 2, ttlMs: 60_000 };
    const counted = () => connection.zcard(`${prefix}:quota:${client}:jobs`);
    const first = await producer.enqueue('ingestion', { data: ingest('q-1') }, { quota });
    await producer.enqueue('ingestion', { data: ingest('q-2') }, { quota });
    const queue = producer.queue('ingestion');
    const before = await queue.getJobCountByTypes('waiting', 'prioritized');
    const refused = await producer
      .enqueue('ingestion', { data: ingest('q-3') }, { quota })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'jobs', limit: 2, current: 2 });
    await expect(
      producer.enqueueBulk('ingestion', [{ data: ingest('q-4') }], { quota }),
    ).rejects.toBeInstanceOf(QuotaExceededError);
    // Other clients, and Slack deliveries (no quota), are not held by this one.
    await producer.enqueue(
      'ingestion',
      { data: ingest('q-5') },
      { quota: { ...quota, client: `${client}-b` } },
    );
    await producer.enqueue('slack-events', { data: slackEvent(`Ev${randomUUID()}`) });
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before + 1);

    // A repeat deduplicated to a stored job gives its count back.
    const keyed = { quota: { ...quota, client: `${client}-c` }, idempotencyKey: 'k' };
    await producer.enqueue('ingestion', { data: ingest('q-6') }, keyed);
    await producer.enqueue('ingestion', { data: ingest('q-6') }, keyed);
    await waitFor(async () => (await connection.zcard(`${prefix}:quota:${client}-c:jobs`)) === 1, {
      description: 'the deduplicated job un-counted',
    });

    // Once a worker took the first job, the client has room again.
    const workerConnection = connection.duplicate();
    const worker = new Worker('ingestion', async () => 'done', {
      connection: workerConnection,
      prefix,
    });
    try {
      await waitFor(async () => (await queue.getJob(first.id))?.processedOn !== undefined, {
        description: 'the worker to take the first job',
      });
    } finally {
      await worker.close();
      workerConnection.disconnect();
    }
    expect(await counted()).toBe(2);
    await producer.enqueue('ingestion', { data: ingest('q-7') }, { quota });
    expect(await counted()).toBeLessThanOrEqual(2);
  });

  it('holds a client to its quota of bytes, a bulk all or nothing', async () => {
    const client = `b-${randomUUID().slice(0, 8)}`;
    const size = Buffer.byteLength(
      JSON.stringify({
        documentId: 'b-1',
        source: { kind: 'inline', text: 'hello', mediaType: 'text/plain' },
      }),
    );
    const quota = { client, maxBytes: size * 3, ttlMs: 60_000 };
    await producer.enqueueBulk('ingestion', [{ data: ingest('b-1') }, { data: ingest('b-2') }], {
      quota,
    });
    const queue = producer.queue('ingestion');
    const before = await queue.getJobCountByTypes('waiting', 'prioritized');
    await expect(
      producer.enqueueBulk('ingestion', [{ data: ingest('b-3') }, { data: ingest('b-4') }], {
        quota,
      }),
    ).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'bytes', current: size * 2 });
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before);
    await producer.enqueue('ingestion', { data: ingest('b-3') }, { quota });
    expect(await connection.get(`${prefix}:quota:${client}:bytes`)).toBe(String(size * 3));
  });

  it('enqueues a Slack event once per event_id, beyond completed-job retention', async () => {
    const eventId = `Ev${randomUUID()}`;
    const first = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    expect(first).toMatchObject({ name: 'app_mention', deduplicated: false });
    await producer.queue('slack-events').remove(first.id);
    const retry = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    expect(retry).toEqual({ ...first, deduplicated: true });
    const marker = await connection.pttl(
      (await connection.keys(`${prefix}:slack-events:idem:*`))[0] ?? 'missing',
    );
    expect(marker).toBeGreaterThan(23 * 60 * 60 * 1000);
  });

  it('re-arms the window of a removed job for every later retry, and heals a lost marker', async () => {
    const eventId = `Ev${randomUUID()}`;
    const queue = producer.queue('slack-events');
    const first = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    await queue.remove(first.id);
    for (let attempt = 0; attempt < 2; attempt++) {
      const retry = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
      expect(retry).toEqual({ ...first, deduplicated: true });
    }
    expect(await queue.getJob(first.id)).toBeUndefined();

    // A marker lost (say, with the connection behind an answer) while the job still exists:
    // BullMQ's own key deduplicates the retry, and the retry writes the marker again.
    const second = await producer.enqueue('slack-events', { data: slackEvent(`${eventId}b`) });
    const markers = await connection.keys(`${prefix}:slack-events:idem:*`);
    const lost = (
      await Promise.all(markers.map(async (key) => ({ key, id: await connection.get(key) })))
    ).find((marker) => marker.id === second.id);
    expect(lost).toBeDefined();
    await connection.del(lost?.key ?? '');
    const retry = await producer.enqueue('slack-events', { data: slackEvent(`${eventId}b`) });
    expect(retry).toEqual({ ...second, deduplicated: true });
    expect(await connection.get(lost?.key ?? '')).toBe(second.id);
  });

  it('stores a Slack event with its dedupe re-arm and marker in the one store call', async () => {
    // Scripts loaded first: a script's first call may be an EVAL that loads it.
    const warm = await producer.enqueue('slack-events', { data: slackEvent(`Ev${randomUUID()}`) });
    await producer.queue('slack-events').remove(warm.id);
    const monitor = await new Redis(inject('redisUrl')).monitor();
    const sent: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const command = args[0]?.toLowerCase() ?? '';
      if (!source.startsWith('lua') && /^(eval|evalsha|set|ping)$/.test(command)) {
        sent.push(command);
      }
    });
    const eventId = `Ev${randomUUID()}`;
    const first = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    await producer.queue('slack-events').remove(first.id);
    const retry = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    // MONITOR reports commands in the order they ran: once the PING sent behind both is
    // reported, so is everything the enqueues sent.
    await connection.ping();
    await waitFor(() => sent.includes('ping'), { description: 'the PING in MONITOR' });
    monitor.disconnect();
    // The first call wrote the marker the retry's call re-armed BullMQ's key from.
    expect(retry).toEqual({ ...first, deduplicated: true });
    // Store calls and BullMQ's remove only: no re-arm script, no marker write of their own.
    expect(sent.filter((command) => command !== 'evalsha')).toEqual(['ping']);
  });

  it('deduplicates concurrent requests with the same key to one stored job', async () => {
    const key = `race-${randomUUID()}`;
    const before = await producer.queue('ingestion').getJobCountByTypes('waiting', 'prioritized');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        producer.enqueue('ingestion', { data: ingest('doc-race') }, { idempotencyKey: key }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    expect(await producer.queue('ingestion').getJobCountByTypes('waiting', 'prioritized')).toBe(
      before + 1,
    );
  });

  it('rejects invalid payloads and unknown queues before touching Redis', async () => {
    await expect(
      producer.enqueue('ingestion', { data: { documentId: '' } }),
    ).rejects.toBeInstanceOf(PayloadValidationError);
    await expect(producer.enqueue('nope', { data: {} })).rejects.toBeInstanceOf(UnknownQueueError);
    await expect(
      producer.enqueue('ingestion', {
        data: { documentId: 'big', source: { kind: 'inline', text: 'x'.repeat(4096) } },
      }),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('stores no job of a bulk with an invalid one, naming every invalid job', async () => {
    const queue = producer.queue('ingestion');
    const before = await queue.getJobCountByTypes('waiting', 'prioritized');
    const error = await producer
      .enqueueBulk('ingestion', [
        { data: ingest('ok-1') },
        { data: { documentId: 'bad id' } },
        { data: ingest('ok-2') },
        { name: 'wrong', data: ingest('ok-3') },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    const paths = (error as PayloadValidationError).issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining(['jobs.1.data.documentId', 'jobs.1.data.source', 'jobs.3.name']),
    );
    expect(paths.some((path) => path.startsWith('jobs.0') || path.startsWith('jobs.2'))).toBe(
      false,
    );
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before);

    const tooBig = producer.enqueueBulk('ingestion', [
      { data: ingest('ok-4') },
      { data: { documentId: 'big', source: { kind: 'inline', text: 'x'.repeat(4096) } } },
    ]);
    await expect(tooBig).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', index: 1 });
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before);

    const stored = await producer.enqueueBulk('ingestion', [
      { data: ingest('b-1') },
      { data: ingest('b-2') },
    ]);
    expect(stored).toHaveLength(2);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(before + 2);
  });

  it('dedupes a repeated bulk request by Idempotency-Key and Slack events inside a bulk', async () => {
    const key = `bulk-${randomUUID()}`;
    const jobs = [{ data: ingest('bk-1') }, { data: ingest('bk-2') }];
    const first = await producer.enqueueBulk('ingestion', jobs, { idempotencyKey: key });
    const again = await producer.enqueueBulk('ingestion', jobs, { idempotencyKey: key });
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(again.every((r) => r.deduplicated)).toBe(true);

    const eventId = `Ev${randomUUID()}`;
    const single = await producer.enqueue('slack-events', { data: slackEvent(eventId) });
    const bulk = await producer.enqueueBulk('slack-events', [
      { data: slackEvent(eventId) },
      { data: slackEvent(`${eventId}-other`) },
    ]);
    expect(bulk[0]).toEqual({ ...single, deduplicated: true });
    expect(bulk[1]?.deduplicated).toBe(false);
    // The event the bulk stored is remembered past its job's removal, as the single one is.
    await producer.queue('slack-events').remove(String(bulk[1]?.id));
    await producer.queue('slack-events').remove(single.id);
    const repeat = await producer.enqueueBulk('slack-events', [
      { data: slackEvent(`${eventId}-other`) },
      { data: slackEvent(eventId) },
    ]);
    expect(repeat).toEqual([bulk[1], bulk[0]].map((result) => ({ ...result, deduplicated: true })));
  });
});

describe('Producer with Redis busy longer than the command deadline', () => {
  let server: RedisServer;
  let connection: RedisConnection;
  let producer: Producer;
  let admin: Redis;
  const JOBS = 500;
  const bulk = (tag: string) =>
    Array.from({ length: JOBS }, (_, index) => ({
      data: ingest(`${tag}-${index}`),
      options: { tenant: `org-${index % 100}` },
    }));

  beforeAll(async () => {
    server = await RedisServer.start({ appendonly: false });
    // Command deadline 100 ms, guard 200 ms: a 500-job bulk gets 2,500 ms more (5 ms a job).
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: server.url, QUEUE_PREFIX: 'conveyor', REDIS_COMMAND_TIMEOUT_MS: '100' },
    ).redis;
    connection = createRedisConnection(config, 'producer');
    // Without the deadline: its own commands are not under test.
    admin = server.client();
    producer = new Producer({ connection, prefix: 'conveyor', timeoutMs: 200 });
    await waitUntilReady(connection, 5000);
    await producer.queue('ingestion').waitUntilReady();
  });
  afterAll(async () => {
    await producer.close();
    connection.disconnect();
    admin.disconnect();
    await server.stop();
  });

  it('stores a bulk that waits behind 400 ms of Redis work, past the 100 ms deadline', async () => {
    // Scripts wait while writes are paused, as behind other clients' long scripts.
    await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
    const results = await producer.enqueueBulk('ingestion', bulk('busy'));
    expect(results).toHaveLength(JOBS);
    expect(await producer.queue('ingestion').getPrioritizedCount()).toBe(JOBS);
  });

  it('still answers RedisUnavailableError, before Redis answers, when it stays away', async () => {
    await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
    const started = performance.now();
    try {
      await expect(producer.enqueueBulk('ingestion', bulk('away'))).rejects.toBeInstanceOf(
        RedisUnavailableError,
      );
      // Refused by the deadline (100 + 2,500 ms here), not by Redis coming back.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
    }
  });
});

describe('Producer with Redis down', () => {
  let server: RedisServer;
  afterEach(() => server?.stop());

  it('answers RedisUnavailableError within the bound and stores nothing; recovers by itself', async () => {
    server = await RedisServer.start({ appendonly: true, extraArgs: ['--appendfsync', 'always'] });
    const connection = createRedisConnection(configFor(server.url, 'conveyor'), 'producer');
    connection.on('error', () => {});
    const producer = new Producer({ connection, prefix: 'conveyor', timeoutMs: 1500 });
    try {
      await waitUntilReady(connection, 5000);
      const stored = await producer.enqueue('ingestion', { data: ingest('before') });
      await server.kill();
      const started = Date.now();
      await expect(
        producer.enqueue('ingestion', { data: ingest('during') }),
      ).rejects.toBeInstanceOf(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(2000);
      await server.restart();
      await expect.poll(() => connection.status, { timeout: 10_000, interval: 50 }).toBe('ready');
      const after = await producer.enqueue('ingestion', { data: ingest('after') });
      const queue = producer.queue('ingestion');
      expect(await queue.getJob(stored.id)).toBeDefined();
      const ids = (await queue.getJobs(['waiting', 'prioritized']))
        .map((job) => job.data.documentId)
        .sort();
      expect(ids).toEqual(['after', 'before']);
      expect(after.deduplicated).toBe(false);
    } finally {
      await producer.close();
      connection.disconnect();
    }
  });

  it('reports an out-of-memory Redis as unavailable, with nothing half written', async () => {
    server = await RedisServer.start({ appendonly: false, maxmemory: '1mb' });
    const connection = createRedisConnection(configFor(server.url, 'conveyor'), 'producer');
    const producer = new Producer({ connection, prefix: 'conveyor' });
    try {
      await waitUntilReady(connection, 5000);
      let failure: unknown;
      for (let i = 0; i < 2000 && !failure; i++) {
        await producer
          .enqueue('ingestion', {
            data: { ...ingest(`fill-${i}`), metadata: { pad: 'x'.repeat(1500) } },
          })
          .catch((error: unknown) => {
            failure = error;
          });
      }
      expect(failure).toBeInstanceOf(RedisUnavailableError);
      expect((failure as RedisUnavailableError).reason).toMatch(/out of memory/);
    } finally {
      await producer.close();
      connection.disconnect();
    }
  });
});

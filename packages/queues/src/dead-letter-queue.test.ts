import type { RedisConnection } from '@conveyor/redis';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../test/support/test-queues.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { isFinalFailure } from './final-failure.js';
import { DEAD_LETTER_RETENTION_MS } from './job-policies.js';
import type { Producer } from './producer.js';
import {
  deadLetterTenantKey,
  deadLetterTenantsIndexedKey,
  TENANT_BACKFILL_REPEAT_MS,
  tenantKeys,
} from './redis-keys.js';
import { setTenant } from './tenants/job-tenant.js';

describe('dead letters', () => {
  let queues: TestQueues;
  let workerConnection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    queues = await connectTestQueues();
    ({ workerConnection, producer, prefix } = queues);
  });
  afterAll(() => queues.close());

  /** Runs a worker whose processor fails as told, recording final failures as apps/worker does. */
  async function runFailing(fail: () => Error, expectedDeadLetters: number): Promise<void> {
    const deadLetters = producer.deadLetters('ingestion');
    const worker = new Worker(
      'ingestion',
      async (job) => {
        const error = fail();
        if (isFinalFailure(job, error)) {
          await deadLetters.record(job, error, {
            unrecoverable: error instanceof UnrecoverableError,
          });
        }
        throw error;
      },
      // Retry at once: the backoff policy is not under test here.
      { connection: workerConnection, prefix, settings: { backoffStrategy: () => 0 } },
    );
    try {
      await expect
        .poll(() => deadLetters.count(), { timeout: 15_000, interval: 50 })
        .toBeGreaterThanOrEqual(expectedDeadLetters);
    } finally {
      await worker.close();
    }
  }

  it('copies a job that exhausts its attempts, replays it, and removes the dead letter', async () => {
    const { id } = await producer.enqueue('ingestion', {
      data: { documentId: 'dies', source: { kind: 'inline', text: 'x' } },
    });
    await runFailing(() => new Error('upstream said no'), 1);

    const deadLetters = producer.deadLetters('ingestion');
    const { total, items } = await deadLetters.list({ offset: 0, limit: 10 });
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      queue: 'ingestion',
      jobId: id,
      name: 'ingest',
      data: { documentId: 'dies' },
      failedReason: 'upstream said no',
      attemptsMade: 3,
      unrecoverable: false,
    });
    expect(items[0]?.stacktrace.join('\n')).toContain('upstream said no');

    const replayedId = await producer.replayDeadLetter('ingestion', items[0]?.id ?? '');
    const replayed = await producer.queue('ingestion').getJob(replayedId);
    expect(replayed?.data).toEqual(items[0]?.data);
    // Waiting its tenant's turn: in BullMQ's prioritized set, as a fresh enqueue.
    expect(await replayed?.getState()).toBe('prioritized');
    expect(replayed?.opts.attempts).toBe(3);
    expect(await deadLetters.count()).toBe(0);
    await replayed?.remove();
  });

  it('sends an unrecoverable failure after one attempt, and records each job once', async () => {
    const { id } = await producer.enqueue('ingestion', {
      data: { documentId: 'bad-input', source: { kind: 'inline', text: 'x' } },
    });
    await runFailing(() => new UnrecoverableError('permanent'), 1);
    const letter = await producer.deadLetters('ingestion').get(`ingestion-${id}`);
    expect(letter).toMatchObject({
      attemptsMade: 1,
      unrecoverable: true,
      failedReason: 'permanent',
    });
    const job = await producer.queue('ingestion').getJob(id);
    if (!job) throw new Error('job should still be kept as failed');
    await producer
      .deadLetters('ingestion')
      .record(job, new Error('again'), { unrecoverable: true });
    expect(await producer.deadLetters('ingestion').count()).toBe(1);
  });

  it('a replay retried after its add keeps the job it added and the tenant its turn', async () => {
    const { connection } = queues;
    const isolated = `${prefix}-rr`;
    const origin = new Queue('slack-events', { connection, prefix: isolated });
    const dlq = new DeadLetterQueue('slack-events', { connection, prefix: isolated });
    try {
      const opts = { jobId: 'R-1' };
      setTenant(opts, 'R');
      const job = await origin.add('app_mention', { n: 1 }, opts);
      const { id } = await dlq.record(job, new Error('no'), { unrecoverable: true });
      await job.remove();
      const letter = await dlq.queue.getJob(id);
      // The first replay added its job, then died before removing the letter.
      const first = await origin.add(
        'app_mention',
        { n: 1 },
        {
          jobId: `R-1-replay-${letter?.timestamp}`,
        },
      );
      const turns = () =>
        Promise.all([
          connection.hgetall(tenantKeys.turns(origin)),
          connection.get(tenantKeys.clock(origin)),
        ]);
      const before = await turns();
      expect(await dlq.replay(id, origin)).toBe(first.id);
      expect(await turns()).toEqual(before);
      expect(await dlq.queue.getJob(id)).toBeUndefined();
    } finally {
      await dlq.close();
      await origin.close();
    }
  });

  it('lists newest first and pages', async () => {
    const dlq = producer.deadLetters('slack-events');
    const queue = producer.queue('slack-events');
    for (const n of [1, 2, 3]) {
      const job = await queue.add('app_mention', { n }, { jobId: `page-${n}` });
      await dlq.record(job, new Error(`e${n}`), { unrecoverable: false });
    }
    const first = await dlq.list({ offset: 0, limit: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((item) => item.failedReason)).toEqual(['e3', 'e2']);
    const second = await dlq.list({ offset: 2, limit: 2 });
    expect(second.items.map((item) => item.failedReason)).toEqual(['e1']);
  });

  it("lists a tenant's letters from its own index, never reading another tenant's", async () => {
    const { connection } = queues;
    const isolated = `${prefix}-dl`;
    const origin = new Queue('slack-events', { connection, prefix: isolated });
    const dlq = new DeadLetterQueue('slack-events', { connection, prefix: isolated });
    try {
      const record = async (tenant: string, n: number) => {
        const opts = { jobId: `${tenant}-${n}` };
        setTenant(opts, tenant);
        const job = await origin.add('app_mention', { n }, opts);
        await dlq.record(job, new Error(`${tenant}${n}`), { unrecoverable: true });
      };
      for (let n = 0; n < 6; n += 1) {
        await record('A', n);
        for (let m = 0; m < 5; m += 1) await record('B', n * 5 + m);
        if (n < 2) await record('C', n);
      }
      const only = (...tenants: string[]) => new Set(tenants);
      // The first scoped listing of a queue makes the one pass that indexes older letters.
      await dlq.list({ offset: 0, limit: 1, tenants: only('C') });

      // Every command the listing runs, seen by MONITOR, up to a marker sent after it.
      const watcher = new Redis(inject('redisUrl'), { lazyConnect: true });
      const monitor = await watcher.monitor();
      const seen: string[] = [];
      const marker = `${isolated}:marker`;
      const markerSeen = new Promise<void>((resolve) => {
        monitor.on('monitor', (_time: string, args: string[]) => {
          seen.push(args.join(' '));
          if (args.includes(marker)) resolve();
        });
      });
      const first = await dlq.list({ offset: 0, limit: 2, tenants: only('A') });
      await connection.get(marker);
      await markerSeen;
      monitor.disconnect();
      watcher.disconnect();
      expect(first).toMatchObject({ total: 6, items: [{ jobId: 'A-5' }, { jobId: 'A-4' }] });
      expect(seen.filter((command) => command.includes('slack-events-B-'))).toEqual([]);
      expect(seen.filter((command) => command.includes('slack-events-A-')).length).toBeGreaterThan(
        0,
      );

      // Pages of one tenant, in the order of the whole queue's listing.
      const everything = await dlq.list({ offset: 0, limit: 100 });
      expect(everything.total).toBe(38);
      const paged: string[] = [];
      for (let offset = 0; offset < 8; offset += 4) {
        const page = await dlq.list({ offset, limit: 4, tenants: only('A') });
        expect(page.total).toBe(6);
        paged.push(...page.items.map((item) => item.jobId));
      }
      expect(paged).toEqual(
        everything.items.filter((item) => item.tenant === 'A').map((item) => item.jobId),
      );
      // Two tenants: merged newest first, every letter once.
      const merged: string[] = [];
      for (let offset = 0; offset < 9; offset += 3) {
        const page = await dlq.list({ offset, limit: 3, tenants: only('A', 'C') });
        expect(page.total).toBe(8);
        merged.push(...page.items.map((item) => item.jobId));
      }
      expect(merged.sort()).toEqual(['A-0', 'A-1', 'A-2', 'A-3', 'A-4', 'A-5', 'C-0', 'C-1']);

      // A replayed letter leaves the index; one removed behind it (Bull Board) too, when met.
      const indexA = deadLetterTenantKey(dlq.queue, 'A');
      await dlq.replay('slack-events-A-5', origin);
      expect(await connection.zscore(indexA, 'slack-events-A-5')).toBeNull();
      await (await dlq.queue.getJob('slack-events-A-4'))?.remove();
      const after = await dlq.list({ offset: 0, limit: 2, tenants: only('A') });
      expect(after).toMatchObject({ total: 4, items: [{ jobId: 'A-3' }, { jobId: 'A-2' }] });
      expect(await connection.zcard(indexA)).toBe(4);
      // It goes with its letters: expiring the retention after its last write.
      const ttl = await connection.pttl(indexA);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(DEAD_LETTER_RETENTION_MS);
    } finally {
      await dlq.close();
      await origin.close();
    }
  });

  it('indexes the letters recorded before the tenant index, once', async () => {
    const { connection } = queues;
    const isolated = `${prefix}-old`;
    const dlq = new DeadLetterQueue('slack-events', { connection, prefix: isolated });
    try {
      // As a version without the index stored them: the letter alone.
      for (const [id, tenant] of [
        ['old-1', 'A'],
        ['old-2', 'B'],
        ['old-3', 'A'],
      ] as const) {
        await dlq.queue.add('app_mention', { jobId: id, tenant, failedReason: id }, { jobId: id });
      }
      const page = await dlq.list({ offset: 0, limit: 10, tenants: new Set(['A']) });
      expect(page.total).toBe(2);
      expect(page.items.map((item) => item.id).sort()).toEqual(['old-1', 'old-3']);
      expect(
        await connection.exists(`${isolated}:slack-events-dead-letters:tenant-letters-indexed`),
      ).toBe(1);
      expect(await connection.zcard(deadLetterTenantKey(dlq.queue, 'B'))).toBe(1);
    } finally {
      await dlq.close();
    }
  });

  it('makes the tenant-index pass in one process at a time, and again once the marker expires', async () => {
    const { connection } = queues;
    const isolated = `${prefix}-backfill`;
    // Two API processes, each with its own DeadLetterQueue; scans counted on each.
    const processes = [0, 1].map(
      () => new DeadLetterQueue('slack-events', { connection, prefix: isolated }),
    );
    let scans = 0;
    for (const dlq of processes) {
      const getJobs = dlq.queue.getJobs.bind(dlq.queue);
      dlq.queue.getJobs = (...args: Parameters<typeof getJobs>) => {
        if (args[0]?.includes('wait') && args[1] === 0) scans += 1;
        return getJobs(...args);
      };
    }
    const [first, second] = processes as [DeadLetterQueue, DeadLetterQueue];
    const storeOld = (id: string, tenant: string) =>
      first.queue.add('app_mention', { jobId: id, tenant, failedReason: id }, { jobId: id });
    try {
      await storeOld('old-1', 'A');
      await storeOld('old-2', 'B');
      const tenantA = new Set(['A']);
      await Promise.all([
        first.list({ offset: 0, limit: 10, tenants: tenantA }),
        second.list({ offset: 0, limit: 10, tenants: tenantA }),
      ]);
      expect(scans).toBe(1);
      const marker = deadLetterTenantsIndexedKey(first.queue);
      const ttl = await connection.pttl(marker);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TENANT_BACKFILL_REPEAT_MS);

      // An older process, still running in a rolling deploy, records a letter after the pass.
      await storeOld('old-3', 'A');
      await connection.del(marker); // as when it expires
      const third = new DeadLetterQueue('slack-events', { connection, prefix: isolated });
      try {
        const page = await third.list({ offset: 0, limit: 10, tenants: tenantA });
        expect(page.items.map((item) => item.id).sort()).toEqual(['old-1', 'old-3']);
      } finally {
        await third.close();
      }
    } finally {
      for (const dlq of processes) await dlq.close();
    }
  });
});

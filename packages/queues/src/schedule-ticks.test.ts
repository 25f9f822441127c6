import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestQueues, type TestQueues } from '../test/support/test-queues.js';
import { QUEUE_CATALOG } from './queue-catalog.js';
import { searchEntriesKey } from './redis-keys.js';
import { ScheduleTicks } from './schedule-ticks.js';
import { SearchIndex } from './search/search-index.js';
import { searchJobs } from './search/search-jobs.js';
import { jobTenant, setTenant } from './tenants/job-tenant.js';

const ingest = (documentId: string, orgId: string) => ({
  documentId,
  source: { kind: 'inline', text: 'x' },
  orgId,
});

describe('ScheduleTicks', () => {
  let queues: TestQueues;

  beforeAll(async () => {
    queues = await connectTestQueues();
  });
  afterAll(() => queues.close());

  it("indexes a schedule's tick and gives it its tenant's turn; its entry goes with it", async () => {
    const queue = queues.producer.queue('ingestion');
    const ticks = new ScheduleTicks({
      connection: queues.workerConnection,
      queue,
      name: 'ingestion',
    });
    const flood = await queues.producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 20 }, (_, i) => ({ data: ingest(`flood-${i}`, 'org-flood') })),
    );
    const documentId = `tick-${randomUUID()}`;
    const opts = { ...QUEUE_CATALOG.ingestion.defaultJobOptions };
    setTenant(opts, 'acme');
    const schedule = `s-${randomUUID()}`;
    // Every hour: the first tick is due at once, the next one an hour later.
    await queue.upsertJobScheduler(
      schedule,
      { every: 60 * 60 * 1000 },
      { name: 'ingest', data: ingest(documentId, 'org-s'), opts },
    );

    const order: Job[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const worker = new Worker(
      'ingestion',
      async (job, token) => {
        if (await ticks.place(job, token ?? '')) throw new DelayedError();
        order.push(job);
        if (order.length === flood.length + 1) done();
      },
      { connection: queues.workerConnection.duplicate(), prefix: queues.prefix, concurrency: 1 },
    );
    await finished;
    await worker.close();
    // Taken twice (placed, then run), the tick still made one next tick, no more.
    const next = (await queue.getJobs(['delayed'])).filter((job) => job.repeatJobKey === schedule);
    expect(next).toHaveLength(1);
    await queue.removeJobScheduler(schedule);

    const tick = order.find((job) => job.repeatJobKey === schedule) as Job;
    expect(jobTenant(tick)).toBe('acme');
    // BullMQ hands a due tick out ahead of every turn (first); placed, it waits one job.
    const position = order.indexOf(tick);
    expect(position).toBeGreaterThanOrEqual(1);
    expect(position).toBeLessThanOrEqual(2);
    expect(order.filter((job) => job !== tick).map((job) => job.id)).toEqual(
      flood.map((job) => job.id),
    );

    const found = await searchJobs(queues.connection, queues.prefix, {
      key: 'documentId',
      value: documentId,
    });
    expect(found.jobs).toEqual([
      expect.objectContaining({
        id: tick.id,
        tenant: 'acme',
        state: 'completed',
        keys: { documentId, orgId: 'org-s' },
      }),
    ]);

    await tick.remove();
    const gone = await searchJobs(queues.connection, queues.prefix, {
      key: 'tenant',
      value: 'acme',
    });
    expect(gone.jobs).toEqual([]);
    const keys = { documentId, orgId: 'org-s', tenant: 'acme' };
    expect(
      await new SearchIndex().prune(queues.connection, queue.qualifiedName, [
        { id: String(tick.id), keys },
      ]),
    ).toBe(1);
    expect(
      await queues.connection.hexists(searchEntriesKey(queue.qualifiedName), String(tick.id)),
    ).toBe(0);
  });

  it('runs every other job as it comes, placing nothing', async () => {
    const ticks = new ScheduleTicks({
      connection: queues.workerConnection,
      queue: queues.producer.queue('ingestion'),
      name: 'ingestion',
    });
    const { id } = await queues.producer.enqueue('ingestion', {
      data: ingest(`plain-${randomUUID()}`, 'org-p'),
    });
    const job = (await queues.producer.queue('ingestion').getJob(id)) as Job;
    expect(await ticks.place(job, 'no-lock-needed')).toBe(false);
  });

  it('reports a placement that failed and runs the tick now, spending no attempt', async () => {
    const queue = queues.producer.queue('ingestion');
    const errors: Error[] = [];
    const ticks = new ScheduleTicks({
      connection: queues.workerConnection,
      queue,
      name: 'ingestion',
      onError: (error) => errors.push(error),
    });
    const schedule = `s-${randomUUID()}`;
    // Due in an hour: the tick waits delayed, so no lock holds it and moving it fails.
    await queue.upsertJobScheduler(
      schedule,
      { every: 60 * 60 * 1000, startDate: Date.now() + 60 * 60 * 1000 },
      { name: 'ingest', data: ingest(`tick-${randomUUID()}`, 'org-e') },
    );
    const [tick] = (await queue.getJobs(['delayed'])).filter(
      (job) => job.repeatJobKey === schedule,
    );
    if (!tick) throw new Error('no tick');

    // No lock token: nothing is tried, nothing written.
    expect(await ticks.place(tick, undefined)).toBe(false);
    expect(
      await queues.connection.hexists(searchEntriesKey(queue.qualifiedName), String(tick.id)),
    ).toBe(0);
    expect(errors).toEqual([]);

    expect(await ticks.place(tick, 'not-the-lock')).toBe(false);
    expect(errors).toHaveLength(1);
    await queue.removeJobScheduler(schedule);
    await tick.remove();
  });
});

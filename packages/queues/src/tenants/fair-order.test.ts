import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { slackSamples } from '@conveyor/testing';
import { type Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { Producer } from '../producer.js';
import { jobTenant } from './job-tenant.js';
import { readTenantGauges, readTenants } from './read-tenants.js';

const ingest = (documentId: string, orgId?: string) => ({
  documentId,
  source: { kind: 'inline', text: 'x' },
  ...(orgId ? { orgId } : {}),
});

/** Runs every job of `queue` one at a time and resolves with their ids in the order they ran. */
async function runOrder(connection: RedisConnection, prefix: string, count: number) {
  const order: Job[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const worker = new Worker(
    'ingestion',
    async (job) => {
      order.push(job);
      if (order.length === count) done();
    },
    { connection: connection.duplicate(), prefix, concurrency: 1 },
  );
  await finished;
  await worker.close();
  return order;
}

describe('tenants at enqueue', () => {
  let connection: RedisConnection;
  let producer: Producer;
  let prefix: string;

  beforeAll(async () => {
    prefix = `t${randomUUID().slice(0, 8)}`;
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
    ).redis;
    connection = createRedisConnection(config, 'producer');
    producer = new Producer({ connection, prefix });
    await waitUntilReady(connection, 5000);
  });
  afterAll(async () => {
    await producer.close();
    connection.disconnect();
  });

  it('takes tenants round-robin: a flood delays another tenant by one job, not its backlog', async () => {
    const flood = Array.from({ length: 300 }, (_, i) => ({ data: ingest(`a-${i}`, 'org-a') }));
    await producer.enqueueBulk('ingestion', flood);
    const b = await producer.enqueue('ingestion', {
      data: ingest('b-0'),
      options: { tenant: 'b' },
    });
    const c = await producer.enqueueBulk('ingestion', [
      { data: ingest('c-0', 'org-c') },
      { data: ingest('c-1', 'org-c') },
    ]);
    const page = await readTenants(connection, producer.queue('ingestion'));
    expect(page.tenants.map(({ tenant, waiting }) => [tenant, waiting])).toEqual([
      ['org-a', 300],
      ['org-c', 2],
      ['b', 1],
    ]);
    expect(await readTenantGauges(connection, producer.queue('ingestion'))).toEqual({
      activeTenants: 3,
      largestTenantBacklog: 300,
    });

    const order = await runOrder(connection, prefix, 303);
    const position = (id: string) => order.findIndex((job) => job.id === id);
    // Turn 1 is a-0, b-0, c-0; turn 2 is a-1, c-1: B and C do not wait behind A's backlog.
    expect(position(b.id)).toBeLessThanOrEqual(2);
    expect(position(c[0]!.id)).toBeLessThanOrEqual(2);
    expect(position(c[1]!.id)).toBeLessThanOrEqual(4);
    // A's own jobs keep their order.
    const aDocs = order
      .filter((job) => jobTenant(job) === 'org-a')
      .map((job) => job.data.documentId);
    expect(aDocs).toEqual(flood.map((job) => job.data.documentId));
    // Nothing waiting: quiet tenants leave nothing behind once the next enqueue prunes them.
    await producer.enqueue('ingestion', { data: ingest('d-0'), options: { tenant: 'd' } });
    const after = await readTenants(connection, producer.queue('ingestion'));
    expect(after.tenants.map(({ tenant }) => tenant)).toEqual(['d']);
    expect(await connection.zcard(`${prefix}:ingestion:tenants`)).toBe(1);
    await runOrder(connection, prefix, 1);
  });

  it('a flood of priority or delayed jobs gets one turn per round, not the head of the queue', async () => {
    const urgent = await producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 100 }, (_, i) => ({
        data: ingest(`u-${i}`, 'org-u'),
        options: { priority: 1 },
      })),
    );
    const delayed = await producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 100 }, (_, i) => ({
        data: ingest(`d-${i}`, 'org-u'),
        options: { delay: 1 },
      })),
    );
    const other = await producer.enqueue('ingestion', { data: ingest('o-0', 'org-o') });
    const order = await runOrder(connection, prefix, 201);
    const position = (id: string) => order.findIndex((job) => job.id === id);
    // Before, every one of them took the floor's turn and the other tenant waited behind 200.
    expect(position(other.id)).toBeLessThanOrEqual(2);
    // The tenant's priority jobs keep their order among themselves.
    const ran = order.map((job) => job.id);
    expect(ran.filter((id) => urgent.some((job) => job.id === id))).toEqual(
      urgent.map((job) => job.id),
    );
    expect(delayed.every((job) => ran.includes(job.id))).toBe(true);
  });

  it('orders a tenant’s jobs by priority, ahead of its own backlog', async () => {
    await producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 50 }, (_, i) => ({ data: ingest(`p-${i}`, 'org-p') })),
    );
    const urgent = await producer.enqueue('ingestion', {
      data: ingest('p-urgent', 'org-p'),
      options: { priority: 1 },
    });
    const later = await producer.enqueue('ingestion', {
      data: ingest('p-later', 'org-p'),
      options: { priority: 10 },
    });
    const order = await runOrder(connection, prefix, 52);
    const position = (id: string) => order.findIndex((job) => job.id === id);
    expect(position(urgent.id)).toBeLessThanOrEqual(1);
    expect(position(later.id)).toBeGreaterThan(position(urgent.id));
    expect(position(later.id)).toBeLessThan(15);
  });

  it("a replayed dead letter takes its tenant's turn, not the head of the queue", async () => {
    const { id } = await producer.enqueue('ingestion', { data: ingest('r-0', 'org-r') });
    // It dies (recorded as a dead letter) before the flood arrives.
    const died = (await producer.queue('ingestion').getJob(id)) as Job;
    const letter = await producer
      .deadLetters('ingestion')
      .record(died, new Error('no'), { unrecoverable: true });
    await died.remove();
    const flood = await producer.enqueueBulk(
      'ingestion',
      Array.from({ length: 30 }, (_, i) => ({ data: ingest(`f-${i}`, 'org-f') })),
    );
    const replayed = await producer.replayDeadLetter('ingestion', letter.id);
    const order = await runOrder(connection, prefix, flood.length + 1);
    const position = order.findIndex((job) => job.id === replayed);
    // Without a turn it would sit in BullMQ's wait list, which runs before every turn (first).
    expect(position).toBeGreaterThanOrEqual(1);
    expect(position).toBeLessThanOrEqual(2);
    expect(jobTenant(order[position] as Job)).toBe('org-r');
  });

  it('stores the tenant: named, derived from Slack or orgId, else default', async () => {
    const named = await producer.enqueue('ingestion', {
      data: ingest('n-0', 'org-x'),
      options: { tenant: 'tenant:42' },
    });
    const derived = await producer.enqueue('ingestion', { data: ingest('n-1', 'org-x') });
    const none = await producer.enqueue('ingestion', { data: ingest('n-2') });
    const slack = await producer.enqueue('slack-events', {
      data: { ...slackSamples.appMention, event_id: `Ev${randomUUID()}` },
    });
    const grid = await producer.enqueue('slack-events', {
      data: {
        ...slackSamples.appMention,
        event_id: `Ev${randomUUID()}`,
        team_id: 'T9',
        enterprise_id: 'E1',
        is_enterprise_install: true,
      },
    });
    const tenants = await Promise.all(
      [named, derived, none, slack, grid].map(async ({ queue, id }) =>
        jobTenant((await producer.queue(queue).getJob(id)) as Job),
      ),
    );
    expect(tenants).toEqual([
      'tenant:42',
      'org-x',
      'default',
      String(slackSamples.appMention.team_id),
      'E1',
    ]);
    await producer.queue('ingestion').obliterate({ force: true });
    await producer.queue('slack-events').obliterate({ force: true });
  });

  it('refuses a bad tenant, naming it in a bulk', async () => {
    await expect(
      producer.enqueue('ingestion', { data: ingest('x'), options: { tenant: 'has space' } }),
    ).rejects.toThrow(PayloadValidationError);
    const refused = producer.enqueueBulk('ingestion', [
      { data: ingest('ok'), options: { tenant: 'fine' } },
      { data: ingest('bad'), options: { tenant: 'x'.repeat(129) } },
    ]);
    await expect(refused).rejects.toMatchObject({
      issues: [{ path: 'jobs.1.options.tenant' }],
    });
  });
});

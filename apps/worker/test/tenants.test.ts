import { QUEUE_CATALOG, searchJobs, setTenant, tenantKeys } from '@conveyor/queues';
import { FakeSlack, getFreePort, waitFor, waitForHttp } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../src/handlers/job-handler.js';
import { appMention } from './support/slack-payloads.js';
import { TenantDocumentServer } from './support/tenant-document-server.js';
import { type StartWorkerOptions, TestContext } from './support/test-context.js';

let documents: TenantDocumentServer;

beforeAll(async () => {
  documents = await TenantDocumentServer.start(60);
});
afterAll(() => documents?.stop());

const ingest = (org: string, name: string) => ({
  documentId: `${org}.${name}`,
  orgId: org,
  source: { kind: 'url', url: documents.url(org, name) },
});

/** Spawns `count` ingestion worker processes with `env` and waits until each is ready. */
async function spawnWorkers(context: TestContext, count: number, env: Record<string, string>) {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const port = await getFreePort();
      const child = context.spawnWorker(`worker-${index}`, {
        WORKER_QUEUES: 'ingestion',
        WORKER_HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
        ...env,
      });
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 20_000 });
      return child;
    }),
  );
}

async function enqueueAll(context: TestContext, org: string, count: number, prefix = 'doc') {
  const results = await context.producer.enqueueBulk(
    'ingestion',
    Array.from({ length: count }, (_, i) => ({ data: ingest(org, `${prefix}-${i}`) })),
  );
  return results.map((result) => result.id);
}

async function waitAllCompleted(context: TestContext, ids: string[], timeoutMs = 45_000) {
  const queue = context.producer.queue('ingestion');
  await waitFor(
    async () => {
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      return states.every((state) => state === 'completed');
    },
    { timeoutMs, description: `${ids.length} jobs to complete` },
  );
}

describe('tenants across worker processes', () => {
  it('takes tenants round-robin: a flood does not delay another tenant', {
    timeout: 60_000,
  }, async () => {
    const context = await TestContext.create();
    try {
      const flood = await enqueueAll(context, 'fair-a', 40);
      const [late] = await enqueueAll(context, 'fair-b', 1);
      await spawnWorkers(context, 2, { WORKER_CONCURRENCY: '1' });
      await waitAllCompleted(context, [...flood, late!]);
      const orgs = documents.arrivals.filter((a) => a.org.startsWith('fair-')).map((a) => a.org);
      // Turn 1 holds fair-a's first job and fair-b's only one: B starts within the first two
      // (plus one a worker may have taken while the other was starting).
      expect(orgs.indexOf('fair-b')).toBeLessThanOrEqual(2);
      expect(orgs).toHaveLength(41);
    } finally {
      await context.close();
    }
  });

  it("places a schedule's tick: after a flood's first job, and found by search once run", {
    timeout: 60_000,
  }, async () => {
    const context = await TestContext.create();
    try {
      const flood = await enqueueAll(context, 'tick-a', 20);
      const queue = context.producer.queue('ingestion');
      const opts = { ...QUEUE_CATALOG.ingestion.defaultJobOptions };
      setTenant(opts, 'tick-b');
      // Every hour: the first tick is due at once, ahead of every turn in BullMQ's wait list.
      await queue.upsertJobScheduler(
        'hourly',
        { every: 60 * 60 * 1000 },
        { name: 'ingest', data: ingest('tick-b', 'report'), opts },
      );
      await spawnWorkers(context, 1, { WORKER_CONCURRENCY: '1' });
      await waitFor(
        async () =>
          (await queue.getJobs(['completed'])).some((job) => job.repeatJobKey === 'hourly'),
        { timeoutMs: 45_000, description: 'the tick to complete' },
      );
      await waitAllCompleted(context, flood);
      const orgs = documents.arrivals.filter((a) => a.org.startsWith('tick-')).map((a) => a.org);
      expect(orgs.indexOf('tick-b')).toBeGreaterThanOrEqual(1);
      expect(orgs.indexOf('tick-b')).toBeLessThanOrEqual(2);
      const found = await searchJobs(context.producerConnection, context.prefix, {
        key: 'documentId',
        value: 'tick-b.report',
      });
      expect(found.jobs).toEqual([
        expect.objectContaining({ tenant: 'tick-b', state: 'completed', deadLetter: false }),
      ]);
      await queue.removeJobScheduler('hourly');
    } finally {
      await context.close();
    }
  });

  it('never runs more than TENANT_CONCURRENCY_<QUEUE> jobs of a tenant across 3 processes', {
    timeout: 90_000,
  }, async () => {
    const context = await TestContext.create();
    try {
      await spawnWorkers(context, 3, {
        WORKER_CONCURRENCY: '4',
        TENANT_CONCURRENCY_INGESTION: '2',
      });
      const ids = [
        ...(await enqueueAll(context, 'cap-a', 30)),
        ...(await enqueueAll(context, 'cap-b', 10)),
        ...(await enqueueAll(context, 'cap-c', 10)),
      ];
      await waitAllCompleted(context, ids, 80_000);
      // Measured by the document server: what the handlers did at once, per org.
      expect(documents.maxInFlight('cap-a')).toBeGreaterThanOrEqual(1);
      expect(documents.maxInFlight('cap-a')).toBeLessThanOrEqual(2);
      expect(documents.maxInFlight('cap-b')).toBeLessThanOrEqual(2);
      expect(documents.maxInFlight('cap-c')).toBeLessThanOrEqual(2);
      // Every job ran once: parking spent no attempt and lost no job.
      const jobs = await Promise.all(
        ids.map((id) => context.producer.queue('ingestion').getJob(id)),
      );
      expect(jobs.every((job) => job?.attemptsMade === 1)).toBe(true);
      // Nothing is left behind once the tenants are done.
      const redis = context.producerConnection;
      const queue = context.producer.queue('ingestion');
      expect(await redis.exists(tenantKeys.running(queue, 'cap-a'))).toBe(0);
      expect(await redis.zcard(tenantKeys.parked(queue, 'cap-a'))).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('a worker killed with -9 while holding a tenant’s slots does not leave it stuck', {
    timeout: 90_000,
  }, async () => {
    const context = await TestContext.create();
    try {
      // The killed worker's document locks outlive it by at most their TTL.
      const env = {
        WORKER_CONCURRENCY: '4',
        TENANT_CONCURRENCY_INGESTION: '2',
        INGEST_LOCK_TTL_MS: '2000',
      };
      const [doomed] = await spawnWorkers(context, 1, env);
      documents.hold('kill-k');
      const ids = await enqueueAll(context, 'kill-k', 6);
      const queue = context.producer.queue('ingestion');
      // Both slots taken (requests held), the others parked at the cap.
      await waitFor(
        async () =>
          documents.inFlight('kill-k') === 2 &&
          (await context.producerConnection.zcard(tenantKeys.parked(queue, 'kill-k'))) >= 1,
        { timeoutMs: 20_000, description: 'two kill-k jobs running and others parked' },
      );
      doomed!.kill('SIGKILL');
      await doomed!.exited;
      documents.release('kill-k');
      await spawnWorkers(context, 1, env);
      await waitAllCompleted(context, ids, 60_000);
      expect(documents.maxInFlight('kill-k')).toBeLessThanOrEqual(2);
    } finally {
      documents.release('kill-k');
      await context.close();
    }
  });
});

describe('tenants in process', () => {
  it('holds TENANT_LIMITER_<QUEUE> across workers, leaving other tenants alone', {
    timeout: 60_000,
  }, async () => {
    const context = await TestContext.create({ TENANT_LIMITER_INGESTION: '3/600' });
    const started: { org: string; at: number }[] = [];
    try {
      const handlers: StartWorkerOptions = {
        configureHandlers: (registry) =>
          registry.register(
            'ingestion',
            'ingest',
            defineHandler({
              schema: z.object({ orgId: z.string() }).loose(),
              async handle(data) {
                started.push({ org: data.orgId, at: Date.now() });
                return {};
              },
            }),
            { replace: true },
          ),
      };
      await context.startWorker(handlers);
      await context.startWorker(handlers);
      const limited = await enqueueAll(context, 'rate-r', 10);
      const other = await enqueueAll(context, 'rate-s', 3);
      await waitAllCompleted(context, [...limited, ...other]);
      const times = started.filter((s) => s.org === 'rate-r').map((s) => s.at);
      expect(times).toHaveLength(10);
      // No 600 ms window holds more than 3 start slots: the 4th after any start is 600 ms later,
      // less what a loaded machine adds between a slot and the handler's first line (a job
      // delayed to its slot may come back late; the next slots are not pushed back).
      for (let i = 0; i + 3 < times.length; i += 1) {
        expect(times[i + 3]! - times[i]!).toBeGreaterThanOrEqual(600 * 0.75);
      }
      // Ten starts at 3 per 600 ms take at least three windows.
      expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(1800 * 0.75);
      // The other tenant is not held behind rate-r's limit: its own 3 fit in its first window.
      const otherTimes = started.filter((s) => s.org === 'rate-s').map((s) => s.at);
      expect(Math.max(...otherTimes)).toBeLessThan(times[times.length - 1]!);
    } finally {
      await context.close();
    }
  });

  it('a Slack 429 for one workspace pauses it alone; another workspace’s replies flow', {
    timeout: 60_000,
  }, async () => {
    const slack = await FakeSlack.start();
    const context = await TestContext.create({
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-tenants',
      WORKER_QUEUES: 'slack-events',
    });
    try {
      await context.startWorker();
      slack.fail('chat.postMessage', { kind: 'rate-limit', retryAfterSec: 3, channel: 'C-A' });
      const limitedId = await context.enqueue('slack-events', {
        ...appMention({ channel: 'C-A' }),
        team_id: 'T-A',
      });
      await waitFor(() => slack.callsOf('chat.postMessage').some((call) => call.status === 429), {
        description: 'the 429 for workspace T-A',
      });
      const limitedAt = Date.now();
      const others = [];
      for (let i = 0; i < 5; i += 1) {
        others.push(
          await context.enqueue('slack-events', {
            ...appMention({ channel: 'C-B' }),
            team_id: 'T-B',
          }),
        );
      }
      for (const id of others) await context.waitForJob('slack-events', id);
      // T-B's five replies were all posted while T-A waited out its Retry-After.
      expect(slack.messagesIn('C-B')).toHaveLength(5);
      expect(slack.messagesIn('C-A')).toHaveLength(0);
      const lastOther = Math.max(...slack.messagesIn('C-B').map((m) => m.receivedAt));
      const limitedJob = await context.waitForJob('slack-events', limitedId);
      expect(limitedJob.finishedOn).toBeGreaterThan(lastOther);
      expect(limitedJob.finishedOn! - limitedAt).toBeGreaterThanOrEqual(2500);
      expect(slack.messagesIn('C-A')).toHaveLength(1);
      // The 429 spent no attempt.
      expect(limitedJob.attemptsMade).toBe(1);
    } finally {
      await context.close();
      await slack.stop();
    }
  });
});

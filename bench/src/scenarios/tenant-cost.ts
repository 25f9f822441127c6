import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_CATALOG } from '@conveyor/queues';
import { Queue } from 'bullmq';
import { Queue as GroupQueue } from 'groupmq';
import type { Redis } from 'ioredis';
import { type BenchContext, bullConnection } from '../bench-context.js';
import {
  BASELINE_PREFIX,
  startBaselineWorker,
  startGroupmqWorker,
} from '../processes/baseline-processes.js';
import type { ConveyorApi } from '../processes/conveyor-api.js';
import { startConveyorFleet } from '../processes/conveyor-fleet.js';
import type { NodeProcess } from '../processes/node-process.js';
import { type Figure, failedFigure, ratioFigure } from '../report/figure.js';
import { alternate, rotate } from '../support/alternate.js';
import { emptyQueue } from '../support/empty-queue.js';
import { ingestionPayload, reactionAddedEnvelope } from '../support/payloads.js';
import { FILL_RETRIES, keepAliveAgent, postBulk } from '../support/post-json.js';
import { fill, waitForConsumer, waitUntilDrained } from '../support/queue-tools.js';
import { runPool } from '../support/run-pool.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, round } from '../support/stats.js';

const WORKER_QUEUE = 'slack-events';
const ENQUEUE_QUEUE = 'ingestion';
/** Jobs per bulk request when filling a queue, and requests at once. */
const FILL_BATCH = 1000;
const FILL_IN_FLIGHT = 4;
const GROUPMQ_NAMESPACE = 'tenant-cost';
/** Longest drain of one round. */
const DRAIN_TIMEOUT_MS = 300_000;

/** Rounded samples of the two sides of a figure. */
function samples(a: number[], b: number[]): { conveyor: number[]; baseline: number[] } {
  return { conveyor: a.map((v) => round(v)), baseline: b.map((v) => round(v)) };
}

/** Polls until a groupmq namespace has nothing waiting, ready, delayed or running. */
async function groupmqDrained(client: Redis, worker: NodeProcess): Promise<number> {
  const ns = `groupmq:${GROUPMQ_NAMESPACE}`;
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const [processing, ready, delayed] = (await client
      .multi()
      .zcard(`${ns}:processing`)
      .zcard(`${ns}:ready`)
      .zcard(`${ns}:delayed`)
      .exec()) as [Error | null, number][];
    const seen = performance.now();
    if (processing?.[1] === 0 && ready?.[1] === 0 && delayed?.[1] === 0) return seen;
    if (!worker.running) throw new Error(`${worker.name} exited:\n${worker.logTail()}`);
    if (seen > deadline) throw new Error(`groupmq not drained after ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(5);
  }
}

/**
 * Issue 14's cost figures. Worker throughput of the real worker (concurrency `concurrency`) on
 * `workerJobs` Slack events spread round-robin over `tenants` workspaces, against the same
 * number from one workspace, and against groupmq with as many groups (no-op handler, same
 * concurrency); each round fills the paused queue (Conveyor: through the API's bulk route, so
 * every job gets its tenant), resumes it and times until nothing is left. Then bulk enqueue
 * through the API: jobs naming `tenants` tenants (`options.tenant`) against jobs naming none.
 */
export async function measureTenantCost(ctx: BenchContext): Promise<Figure[]> {
  const { tenants, workerJobs, concurrency, bulkOnly } = ctx.options.tenants;
  await ctx.client.flushall();
  const { api, worker, stopApi, stopWorker } = await startConveyorFleet(ctx, {
    queues: [WORKER_QUEUE],
    concurrency,
    name: 'worker-tenants',
  });
  const connection = bullConnection(ctx);
  const ingestion = new Queue(ENQUEUE_QUEUE, { connection, prefix: 'conveyor' });
  if (bulkOnly) {
    try {
      return [await measureBulkEnqueue(ctx, api, ingestion)];
    } finally {
      await ingestion.close();
      await Promise.all([stopApi(), stopWorker()]);
    }
  }
  const rawWorker = startBaselineWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    queues: [WORKER_QUEUE],
    concurrency,
    name: 'baseline-worker-tenants',
  });
  const stopRawWorker = ctx.cleanup.add('baseline-worker', () => rawWorker.stop());
  const groupWorker = startGroupmqWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    namespace: GROUPMQ_NAMESPACE,
    concurrency,
    reportGroups: [],
    name: 'groupmq-worker-tenants',
  });
  const stopGroupWorker = ctx.cleanup.add('groupmq worker', () => groupWorker.process.stop());
  const slack = new Queue(WORKER_QUEUE, { connection, prefix: 'conveyor' });
  const raw = new Queue(WORKER_QUEUE, {
    connection,
    prefix: BASELINE_PREFIX,
    defaultJobOptions: QUEUE_CATALOG[WORKER_QUEUE].defaultJobOptions,
  });
  // groupmq's Queue quits its client when closed: a client of its own.
  const groupQueue = new GroupQueue({
    redis: ctx.redis.client({ maxRetriesPerRequest: null }),
    namespace: GROUPMQ_NAMESPACE,
    autoBatch: { size: FILL_BATCH, maxWaitMs: 5 },
  });
  const agent = keepAliveAgent(FILL_IN_FLIGHT);
  const headers = { authorization: api.authorization };
  const team = (index: number) => `T${String(index % tenants).padStart(6, '0')}`;
  try {
    const runId = Date.now().toString(36);
    await waitForConsumer(
      raw,
      { name: 'reaction_added', data: reactionAddedEnvelope(`Ev${runId}PR`) },
      rawWorker,
    );
    await waitForConsumer(
      slack,
      { name: 'reaction_added', data: reactionAddedEnvelope(`Ev${runId}P`) },
      worker,
    );

    // Worker throughput: three sides, rounds rotated.
    const fillConveyor = (tag: string, teamOf: (index: number) => string) =>
      postBulk(
        agent,
        new URL(`${api.url}/v1/queues/${WORKER_QUEUE}/jobs/bulk`),
        headers,
        Math.ceil(workerJobs / FILL_BATCH),
        FILL_IN_FLIGHT,
        (request) =>
          JSON.stringify({
            jobs: Array.from(
              { length: Math.min(FILL_BATCH, workerJobs - request * FILL_BATCH) },
              (_, i) => {
                const index = request * FILL_BATCH + i;
                return {
                  data: reactionAddedEnvelope(`Ev${tag}N${index}`, { teamId: teamOf(index) }),
                };
              },
            ),
          }),
        FILL_RETRIES,
      );
    const conveyorDrain = (teamOf: (index: number) => string, tag: string) => async (n: number) => {
      await slack.pause();
      await fillConveyor(`${runId}${tag}R${n}`, teamOf);
      await settleRedis(ctx.client);
      const started = performance.now();
      await slack.resume();
      const finished = await waitUntilDrained(slack, { timeoutMs: DRAIN_TIMEOUT_MS, worker });
      return workerJobs / ((finished - started) / 1000);
    };
    const groupmqDrain = async () => {
      await groupQueue.pause();
      await runPool(Math.ceil(workerJobs / FILL_BATCH), FILL_IN_FLIGHT, async (request) => {
        const size = Math.min(FILL_BATCH, workerJobs - request * FILL_BATCH);
        await Promise.all(
          Array.from({ length: size }, (_, i) => {
            const index = request * FILL_BATCH + i;
            return groupQueue.add({
              groupId: team(index),
              data: reactionAddedEnvelope(`EvG${index}`, { teamId: team(index) }),
            });
          }),
        );
      });
      await settleRedis(ctx.client);
      const started = performance.now();
      await groupQueue.resume();
      const finished = await groupmqDrained(ctx.client, groupWorker.process);
      return workerJobs / ((finished - started) / 1000);
    };
    ctx.log(`  worker throughput, concurrency ${concurrency}, ${workerJobs} jobs a round`);
    const rawDrain = async (n: number) => {
      await raw.pause();
      await fill(raw, workerJobs, FILL_BATCH, (index) => ({
        name: 'reaction_added',
        data: reactionAddedEnvelope(`Ev${runId}RR${n}N${index}`, { teamId: team(index) }),
      }));
      await settleRedis(ctx.client);
      const started = performance.now();
      await raw.resume();
      const finished = await waitUntilDrained(raw, {
        timeoutMs: DRAIN_TIMEOUT_MS,
        worker: rawWorker,
      });
      return workerJobs / ((finished - started) / 1000);
    };
    const [spread = [], single = [], groups = [], plain = []] = await rotate<number>(
      ctx.options.rounds,
      [
        { label: `Conveyor, ${tenants} tenants`, run: conveyorDrain(team, 'S') },
        { label: 'Conveyor, one tenant', run: conveyorDrain(() => 'TSINGLE01', 'O') },
        { label: `groupmq, ${tenants} groups`, run: groupmqDrain },
        { label: 'raw BullMQ, first in first out', run: rawDrain },
      ],
      ctx.log,
      (jobsPerSecond) => `${round(jobsPerSecond)} jobs/s`,
    );
    const workerNotes =
      `${workerJobs} Slack reaction_added events per round (the worker completes them through its ` +
      'fallback handler, as ignored) added to the paused queue through POST /v1/queues/slack-events/jobs/bulk ' +
      `(tenant from the team_id), then timed from resume until none is waiting or active; the real worker at ` +
      `WORKER_CONCURRENCY=${concurrency}. groupmq 1.1.0: the same events as jobs of ${tenants} groups, added to ` +
      `the paused queue, a groupmq Worker with a no-op handler at concurrency ${concurrency}, timed from resume ` +
      `until nothing is ready or running. Raw BullMQ (first in, first out, for reference): the same events ` +
      `added with addBulk, a raw Worker with a no-op processor at concurrency ${concurrency}: ` +
      `${plain.map((v) => round(v)).join('/')} jobs/s. ${ctx.options.rounds} rounds a side, rotated.`;

    const bulk = await measureBulkEnqueue(ctx, api, ingestion);
    return [
      ratioFigure({
        id: 'tenant-worker-throughput',
        label: `Worker throughput, ${tenants} tenants vs one, concurrency ${concurrency} (jobs/s)`,
        conveyor: median(spread),
        baseline: median(single),
        minRatio: 0.9,
        samples: samples(spread, single),
        notes: workerNotes,
      }),
      ratioFigure({
        id: 'tenant-worker-groupmq',
        label: `Worker throughput, ${tenants} tenants vs groupmq ${tenants} groups, concurrency ${concurrency} (jobs/s)`,
        conveyor: median(spread),
        baseline: median(groups),
        samples: samples(spread, groups),
        notes: 'as above',
      }),
      ratioFigure({
        id: 'tenant-worker-raw',
        label: `Worker throughput, ${tenants} tenants vs raw BullMQ FIFO, concurrency ${concurrency} (jobs/s)`,
        conveyor: median(spread),
        baseline: median(plain),
        samples: samples(spread, plain),
        notes: 'as above',
      }),
      bulk,
    ];
  } finally {
    agent.destroy();
    await Promise.all([slack.close(), ingestion.close(), raw.close(), groupQueue.close()]);
    await Promise.all([stopApi(), stopWorker(), stopRawWorker(), stopGroupWorker()]);
  }
}

/**
 * Bulk enqueue through the API: jobs naming `tenants` tenants (`options.tenant`) against the same
 * jobs naming none, rounds alternated, the queue emptied between rounds. A failure makes a failed
 * figure, so the worker figures stand on their own.
 */
async function measureBulkEnqueue(
  ctx: BenchContext,
  api: ConveyorApi,
  ingestion: Queue,
): Promise<Figure> {
  const { tenants, bulkJobs } = ctx.options.tenants;
  const headers = { authorization: api.authorization };
  const requests = Math.ceil(bulkJobs / ctx.options.bulk.batch);
  // A named tenant is the job's organisation, as a client that names them would send: the
  // search index then stores as much for either side (orgId stands in for the tenant's entry).
  const bulkBody = (named: boolean) =>
    JSON.stringify({
      jobs: Array.from({ length: ctx.options.bulk.batch }, (_, index) => {
        const data = ingestionPayload(index);
        if (!named) return { data };
        const tenant = `org-${index % tenants}`;
        return { data: { ...data, orgId: tenant }, options: { tenant } };
      }),
    });
  const bodies = { named: bulkBody(true), none: bulkBody(false) };
  const bulkUrl = new URL(`${api.url}/v1/queues/${ENQUEUE_QUEUE}/jobs/bulk`);
  const bulkAgent = keepAliveAgent(ctx.options.bulk.inFlight);
  const bulkRound = (body: string) => async () => {
    const started = performance.now();
    await postBulk(bulkAgent, bulkUrl, headers, requests, ctx.options.bulk.inFlight, () => body);
    return (requests * ctx.options.bulk.batch) / ((performance.now() - started) / 1000);
  };
  const empty = () => emptyQueue(ctx.client, ingestion);
  ctx.log(`  bulk enqueue, ${requests * ctx.options.bulk.batch} jobs a round`);
  let bulk: Figure;
  try {
    await bulkRound(bodies.named)();
    await empty();
    const measured = await alternate(
      ctx.options.rounds,
      { label: `${tenants} tenants named`, run: bulkRound(bodies.named), reset: empty },
      { label: 'no tenant named', run: bulkRound(bodies.none), reset: empty },
      ctx.log,
      (jobsPerSecond) => `${round(jobsPerSecond)} jobs/s`,
    );
    bulk = ratioFigure({
      id: 'tenant-bulk-enqueue',
      label: `Bulk enqueue, ${tenants} tenants named vs none (jobs/s)`,
      conveyor: median(measured.conveyor),
      baseline: median(measured.baseline),
      minRatio: 0.9,
      samples: samples(measured.conveyor, measured.baseline),
      notes:
        `${requests} requests of ${ctx.options.bulk.batch} ingestion jobs, ${ctx.options.bulk.inFlight} in flight, ` +
        `to POST /v1/queues/${ENQUEUE_QUEUE}/jobs/bulk: each job naming one of ${tenants} tenants ` +
        '(options.tenant, also its data.orgId) against the same jobs naming none (their tenant then comes ' +
        'from data.orgId, one organisation); time until the last batch is answered; the queue emptied ' +
        'between rounds.',
    });
  } catch (error) {
    // The worker figures above stand on their own.
    ctx.log(`  bulk enqueue failed: ${error instanceof Error ? error.message : String(error)}`);
    bulk = failedFigure('tenant-bulk-enqueue', error);
  } finally {
    bulkAgent.destroy();
  }
  return bulk;
}

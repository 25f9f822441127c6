import { readFile } from 'node:fs/promises';
import type { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_CATALOG } from '@conveyor/queues';
import { Queue, QueueKeys } from 'bullmq';
import { Queue as GroupQueue } from 'groupmq';
import type { Redis } from 'ioredis';
import { type BenchContext, bullConnection } from '../bench-context.js';
import {
  BASELINE_PREFIX,
  startBaselineWorker,
  startGroupmqWorker,
} from '../processes/baseline-processes.js';
import { startConveyorFleet } from '../processes/conveyor-fleet.js';
import type { NodeProcess } from '../processes/node-process.js';
import { type Figure, pairedRatio } from '../report/figure.js';
import { rotate } from '../support/alternate.js';
import { CompletionStream } from '../support/completion-stream.js';
import { dropKeys } from '../support/drop-keys.js';
import { reactionAddedEnvelope } from '../support/payloads.js';
import { FILL_RETRIES, keepAliveAgent, postBulk, postJson } from '../support/post-json.js';
import { runPool } from '../support/run-pool.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, percentile, round } from '../support/stats.js';
import { calibratedWallClock } from '../support/wall-clock.js';

const QUEUE = 'slack-events';
/**
 * Jobs per bulk request or `addBulk` call of the flood, and how many at once. Two, not four: a
 * 1000-job bulk costs Redis a few hundred ms on this machine, and four of them queued behind one
 * another and a worker draining the queue passed the API's command timeout (503, sent again),
 * which made the flood take longer than it does with two.
 */
const FLOOD_BATCH = 1000;
const FLOOD_IN_FLIGHT = 2;
/** The flooding workspace and the quiet one (each a tenant, from the Slack `team_id`). */
const FLOOD_TEAM = 'TFLOOD0001';
const QUIET_TEAM = 'TQUIET0001';
/** Half of the millisecond an events-stream id truncates (see the latency scenario). */
const STREAM_MS_MIDPOINT = 0.5;
/** Longest wait for a round's last job to start, and for its flood to drain. */
const ROUND_TIMEOUT_MS = 300_000;
/**
 * Target: the quiet tenant's p99 at most this share of plain FIFO's in the same run (issue 14).
 */
const MAX_P99_RATIO = 0.02;

interface QuietSample {
  p50: number;
  p99: number;
  max: number;
  /** p99 of the enqueue calls' own time (Conveyor: the HTTP request), part of the above. */
  enqueueP99: number;
}

/** The queue operations one side is measured through. */
interface FloodSide {
  /** Adds the flood: `floodJobs` jobs of tenant A. */
  flood(runId: string): Promise<void>;
  /**
   * Pauses the side's queue before the flood and resumes it once the whole flood is stored, so
   * that B's jobs meet a backlog of `floodJobs` on every side: a worker that drains as fast as
   * the flood is stored would otherwise leave no backlog to be fair about.
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Adds tenant B's job number `index`; resolves with its job id. */
  sendQuiet(runId: string, index: number): Promise<string>;
  /** When the job `jobId` started (calibrated wall-clock ms), once known. */
  startOf(jobId: string): number | undefined;
  /** Reads what is new (start times), before each check. @defaultValue nothing */
  refresh?(): Promise<void>;
  /** Resolves once every job of the round, flood included, is done (or the side is cleared). */
  finish(): Promise<void>;
}

/**
 * Sends B's jobs on an open-loop schedule (one every `intervalMs`, whatever the answers do) and
 * returns each one's enqueue-to-start time: from just before its enqueue call to its start.
 */
async function quietRound(
  side: FloodSide,
  runId: string,
  count: number,
  intervalMs: number,
  process: NodeProcess,
): Promise<QuietSample> {
  const now = calibratedWallClock();
  const sentAt = new Map<string, number>();
  let failure: Error | undefined;
  const enqueueMs: number[] = [];
  const send = async (index: number) => {
    const start = now();
    try {
      sentAt.set(await side.sendQuiet(runId, index), start);
      enqueueMs.push(now() - start);
    } catch (error) {
      failure ??= error as Error;
    }
  };
  const t0 = now();
  const pending: Promise<void>[] = [];
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((now() - t0) / intervalMs) + 1);
    while (sent < due) pending.push(send(sent++));
    await sleep(1);
  }
  await Promise.all(pending);
  if (failure) throw failure;
  const deadline = performance.now() + ROUND_TIMEOUT_MS;
  for (;;) {
    await side.refresh?.();
    const missing = [...sentAt.keys()].filter((id) => side.startOf(id) === undefined);
    if (missing.length === 0) break;
    if (!process.running) throw new Error(`${process.name} exited:\n${process.logTail()}`);
    if (performance.now() > deadline) {
      throw new Error(`${process.name}: ${missing.length} of ${count} quiet jobs never started`);
    }
    await sleep(20);
  }
  const latencies = [...sentAt].map(([id, start]) => (side.startOf(id) as number) - start);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    enqueueP99: percentile(enqueueMs, 99),
  };
}

/**
 * A BullMQ side (Conveyor, or plain BullMQ): start times from the `active` events of the queue's
 * events stream (appended by the script that hands a job to a worker, the moment its handler is
 * called), and the round done once every job's `completed` event was seen.
 */
function streamTimes(client: Redis, eventsKey: string) {
  const started = new Map<string, number>();
  let completed = 0;
  const stream = new CompletionStream({
    client,
    eventsKey,
    // Tens of thousands of events a second during a flood: read often, so that none is trimmed
    // from the stream (BullMQ keeps about 10,000) before it was read.
    intervalMs: 10,
    events: ['active', 'completed'],
  });
  return {
    startOf: (jobId: string) => started.get(jobId),
    completed: () => completed,
    start: () => {
      started.clear();
      completed = 0;
      return stream.start((jobId, redisMs, event) => {
        if (event === 'active') started.set(jobId, redisMs + STREAM_MS_MIDPOINT);
        else completed += 1;
      });
    },
    stop: () => stream.stop(),
  };
}

async function untilCompleted(
  completed: () => number,
  total: number,
  process: NodeProcess,
): Promise<void> {
  const deadline = performance.now() + ROUND_TIMEOUT_MS;
  while (completed() < total) {
    if (!process.running) throw new Error(`${process.name} exited:\n${process.logTail()}`);
    if (performance.now() > deadline) {
      throw new Error(`${process.name}: ${completed()} of ${total} jobs completed in time`);
    }
    await sleep(50);
  }
}

/** Start lines the groupmq worker wrote for `group`: job id -> calibrated wall-clock ms. */
async function groupStarts(logFile: string, group: string, into: Map<string, number>) {
  const text = await readFile(logFile, 'utf8');
  const prefix = `start ${group} `;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const [id, ms] = line.slice(prefix.length).split(' ');
    if (id !== undefined && ms !== undefined) into.set(id, Number(ms));
  }
}

/**
 * Issue 14's fairness figure. Tenant A enqueues `floodJobs` jobs at once, then tenant B enqueues
 * one job every `intervalMs`; the figure is B's enqueue-to-start p99. Three sides, each with its
 * worker at the same concurrency, rounds rotated: Conveyor (the real API, a bulk flood through
 * `POST .../jobs/bulk` and B's jobs through `POST .../jobs`, tenants derived from the Slack
 * `team_id`, the real worker), plain FIFO BullMQ (`addBulk` and `add`, a raw Worker with a no-op
 * processor), and groupmq (A and B as two groups, a groupmq Worker with a no-op handler).
 */
export async function measureTenantFairness(ctx: BenchContext): Promise<Figure[]> {
  const { floodJobs, quietJobs, intervalMs, concurrency, rounds } = ctx.options.fairness;
  await ctx.client.flushall();
  const { api, worker, stopApi, stopWorker } = await startConveyorFleet(ctx, {
    queues: [QUEUE],
    concurrency,
    name: 'worker-fairness',
  });
  const baselineWorker = startBaselineWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    queues: [QUEUE],
    concurrency,
    name: 'baseline-worker-fairness',
  });
  const stopBaselineWorker = ctx.cleanup.add('baseline-worker', () => baselineWorker.stop());
  const reader = ctx.redis.client({ maxRetriesPerRequest: 3 });
  const agent: Agent = keepAliveAgent(32);
  const conveyorQueue = new Queue(QUEUE, { connection: bullConnection(ctx), prefix: 'conveyor' });
  const fifo = new Queue(QUEUE, {
    connection: bullConnection(ctx),
    prefix: BASELINE_PREFIX,
    defaultJobOptions: QUEUE_CATALOG[QUEUE].defaultJobOptions,
  });
  let groupWorker: { process: NodeProcess; logFile: string } | undefined;
  const stopGroupWorker = async () => {
    await groupWorker?.process.stop();
    groupWorker = undefined;
  };
  ctx.cleanup.add('groupmq worker', stopGroupWorker);
  const headers = { authorization: api.authorization };
  const event = (runId: string, tag: string, index: number, teamId: string) =>
    reactionAddedEnvelope(`Ev${runId}${tag}${index}`, { teamId });
  const floodBody = (runId: string) => (request: number) =>
    JSON.stringify({
      jobs: Array.from(
        { length: Math.min(FLOOD_BATCH, floodJobs - request * FLOOD_BATCH) },
        (_, i) => ({
          data: event(runId, 'A', request * FLOOD_BATCH + i, FLOOD_TEAM),
        }),
      ),
    });
  const requests = Math.ceil(floodJobs / FLOOD_BATCH);

  // Conveyor: the real API and worker.
  const conveyorTimes = streamTimes(reader, new QueueKeys('conveyor').toKey(QUEUE, 'events'));
  const conveyor: FloodSide = {
    pause: () => conveyorQueue.pause(),
    resume: () => conveyorQueue.resume(),
    flood: (runId) =>
      postBulk(
        agent,
        new URL(`${api.url}/v1/queues/${QUEUE}/jobs/bulk`),
        headers,
        requests,
        FLOOD_IN_FLIGHT,
        floodBody(runId),
        FILL_RETRIES,
      ),
    sendQuiet: async (runId, index) => {
      const body = JSON.stringify({ data: event(runId, 'B', index, QUIET_TEAM) });
      const answer = await postJson(
        agent,
        new URL(`${api.url}/v1/queues/${QUEUE}/jobs`),
        body,
        headers,
      );
      if (answer.status !== 202)
        throw new Error(`enqueue answered ${answer.status}: ${answer.body}`);
      return String((JSON.parse(answer.body) as { id: unknown }).id);
    },
    startOf: conveyorTimes.startOf,
    finish: async () => {
      await untilCompleted(conveyorTimes.completed, floodJobs + quietJobs, worker);
    },
  };

  // Plain FIFO BullMQ: one list, whoever enqueued first runs first.
  const fifoTimes = streamTimes(reader, new QueueKeys(BASELINE_PREFIX).toKey(QUEUE, 'events'));
  const plain: FloodSide = {
    pause: () => fifo.pause(),
    resume: () => fifo.resume(),
    flood: (runId) =>
      runPool(requests, FLOOD_IN_FLIGHT, async (request) => {
        const size = Math.min(FLOOD_BATCH, floodJobs - request * FLOOD_BATCH);
        await fifo.addBulk(
          Array.from({ length: size }, (_, i) => ({
            name: 'reaction_added',
            data: event(runId, 'A', request * FLOOD_BATCH + i, FLOOD_TEAM),
          })),
        );
      }),
    sendQuiet: async (runId, index) =>
      String((await fifo.add('reaction_added', event(runId, 'B', index, QUIET_TEAM))).id),
    startOf: fifoTimes.startOf,
    finish: () => untilCompleted(fifoTimes.completed, floodJobs + quietJobs, baselineWorker),
  };

  // groupmq: a namespace and a worker process per round, dropped afterwards (its flood group
  // runs one job at a time, so draining it would take far longer than the round).
  const groupStartTimes = new Map<string, number>();
  const groupmqSide = (flood: GroupQueue, quiet: GroupQueue, logFile: string): FloodSide => ({
    pause: () => flood.pause(),
    resume: () => flood.resume(),
    flood: () =>
      runPool(requests, FLOOD_IN_FLIGHT, async (request) => {
        const size = Math.min(FLOOD_BATCH, floodJobs - request * FLOOD_BATCH);
        await Promise.all(
          Array.from({ length: size }, (_, i) =>
            flood.add({
              groupId: 'A',
              data: event('G', 'A', request * FLOOD_BATCH + i, FLOOD_TEAM),
            }),
          ),
        );
      }),
    sendQuiet: async (runId, index) =>
      (await quiet.add({ groupId: 'B', data: event(runId, 'B', index, QUIET_TEAM) })).id,
    startOf: (jobId) => groupStartTimes.get(jobId),
    refresh: () => groupStarts(logFile, 'B', groupStartTimes),
    finish: async () => {},
  });

  const runBullSide =
    (side: FloodSide, times: ReturnType<typeof streamTimes>, process: NodeProcess, tag: string) =>
    async (n: number): Promise<QuietSample> => {
      const runId = `${Date.now().toString(36)}${tag}${n}`;
      await times.start();
      try {
        await side.pause();
        await side.flood(runId);
        await side.resume();
        const sample = await quietRound(side, runId, quietJobs, intervalMs, process);
        await side.finish();
        return sample;
      } finally {
        await times.stop();
      }
    };

  try {
    // Both workers consume before anything is measured.
    const probeRun = Date.now().toString(36);
    await conveyorTimes.start();
    await fifoTimes.start();
    await conveyor.sendQuiet(`${probeRun}P`, 0);
    await fifo.add('reaction_added', event(probeRun, 'P', 0, QUIET_TEAM));
    await untilCompleted(conveyorTimes.completed, 1, worker);
    await untilCompleted(fifoTimes.completed, 1, baselineWorker);
    await conveyorTimes.stop();
    await fifoTimes.stop();

    const describe = (s: QuietSample) =>
      `B's enqueue-to-start p50 ${round(s.p50, 1)} ms, p99 ${round(s.p99, 1)} ms, max ${round(s.max, 1)} ms ` +
      `(enqueue call p99 ${round(s.enqueueP99, 1)} ms)`;
    const [conveyorSamples = [], fifoSamples = [], groupSamples = []] = await rotate<QuietSample>(
      rounds,
      [
        {
          label: 'conveyor',
          run: runBullSide(conveyor, conveyorTimes, worker, 'C'),
          reset: () => settleRedis(ctx.client),
        },
        {
          label: 'plain FIFO BullMQ',
          run: runBullSide(plain, fifoTimes, baselineWorker, 'F'),
          reset: () => settleRedis(ctx.client),
        },
        {
          label: 'groupmq',
          run: async (n) => {
            const runId = `${Date.now().toString(36)}G${n}`;
            const namespace = `fairness-${runId}`;
            groupWorker = startGroupmqWorker({
              redisUrl: ctx.redis.url,
              dir: ctx.dir,
              namespace,
              concurrency,
              reportGroups: ['P', 'B'],
              name: `groupmq-worker-fairness-${n}`,
            });
            const started = groupWorker;
            const floodQueue = new GroupQueue({
              // Each groupmq Queue quits its client when closed: one client each.
              redis: ctx.redis.client({ maxRetriesPerRequest: null }),
              namespace,
              autoBatch: { size: FLOOD_BATCH, maxWaitMs: 5 },
            });
            const quietQueue = new GroupQueue({
              redis: ctx.redis.client({ maxRetriesPerRequest: null }),
              namespace,
            });
            const side = groupmqSide(floodQueue, quietQueue, started.logFile);
            groupStartTimes.clear();
            try {
              // The worker consumes before the flood: a probe job of its own group.
              const probe = await quietQueue.add({ groupId: 'P', data: {} });
              const deadline = performance.now() + 30_000;
              for (;;) {
                await groupStarts(started.logFile, 'P', groupStartTimes);
                if (groupStartTimes.has(probe.id)) break;
                if (!started.process.running || performance.now() > deadline) {
                  throw new Error(`groupmq worker did not start:\n${started.process.logTail()}`);
                }
                await sleep(20);
              }
              await side.pause();
              await side.flood(runId);
              await side.resume();
              return await quietRound(side, runId, quietJobs, intervalMs, started.process);
            } finally {
              await floodQueue.close();
              await quietQueue.close();
              await stopGroupWorker();
              await dropKeys(ctx.client, `groupmq:${namespace}:*`);
            }
          },
          reset: () => settleRedis(ctx.client),
        },
      ],
      ctx.log,
      describe,
    );
    const p99 = (samples: QuietSample[]) => samples.map((s) => round(s.p99, 2));
    const detail = (label: string, samples: QuietSample[]) =>
      `${label} p50 ${samples.map((s) => round(s.p50, 1)).join('/')}, max ${samples.map((s) => round(s.max, 1)).join('/')}, ` +
      `enqueue call p99 ${samples.map((s) => round(s.enqueueP99, 1)).join('/')}`;
    const notes =
      `Tenant A enqueues ${floodJobs.toLocaleString('en-US')} Slack reaction_added events at once ` +
      `(${requests} batches of ${FLOOD_BATCH}, ${FLOOD_IN_FLIGHT} in flight), then tenant B one every ${intervalMs} ms, ` +
      `${quietJobs} in all, open loop; B's enqueue-to-start p99: from just before its enqueue call (bench clock, ` +
      'calibrated to the system clock) to its start. Conveyor: the real API (bulk and single POST, tenant from ' +
      `the Slack team_id) and worker (WORKER_CONCURRENCY=${concurrency}); plain FIFO BullMQ: queue.addBulk / queue.add ` +
      `and a raw Worker, no-op processor, concurrency ${concurrency}; for both, the start is the job's 'active' event in ` +
      "the queue's events stream (Redis's time, + 0.5 ms). groupmq 1.1.0: A and B as two groups, a groupmq Worker " +
      `with a no-op handler at concurrency ${concurrency}, the start read by the handler itself. ` +
      `Each side's workers run throughout; the flood is stored with the queue paused, then the queue resumes and B starts sending, so B meets the whole flood as a backlog on every side. ${rounds} rounds a side, rotated; ` +
      `ms: ${detail('Conveyor', conveyorSamples)}; ${detail('FIFO', fifoSamples)}; ${detail('groupmq', groupSamples)}.`;
    const versusFifo = { conveyor: p99(conveyorSamples), baseline: p99(fifoSamples) };
    const versusGroupmq = { conveyor: p99(conveyorSamples), baseline: p99(groupSamples) };
    const fifoRatio = pairedRatio(versusFifo);
    const label = `Quiet tenant's enqueue-to-start p99 under a ${floodJobs.toLocaleString('en-US')}-job flood`;
    return [
      {
        id: 'fairness-p99',
        label: `${label}, vs plain FIFO BullMQ (ms)`,
        conveyor: median(versusFifo.conveyor),
        baseline: median(versusFifo.baseline),
        ratio: fifoRatio,
        target: `<= ${MAX_P99_RATIO}x`,
        pass: Number.isFinite(fifoRatio) && fifoRatio <= MAX_P99_RATIO,
        digits: 1,
        samples: versusFifo,
        notes,
      },
      {
        id: 'fairness-p99-groupmq',
        label: `${label}, vs groupmq (ms)`,
        conveyor: median(versusGroupmq.conveyor),
        baseline: median(versusGroupmq.baseline),
        ratio: pairedRatio(versusGroupmq),
        target: 'report',
        pass: null,
        digits: 1,
        samples: versusGroupmq,
        notes,
      },
    ];
  } finally {
    agent.destroy();
    reader.disconnect();
    await fifo.close();
    await conveyorQueue.close();
    await Promise.all([stopApi(), stopWorker(), stopBaselineWorker(), stopGroupWorker()]);
  }
}

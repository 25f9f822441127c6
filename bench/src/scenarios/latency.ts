import type { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueueKeys } from 'bullmq';
import type { BenchContext } from '../bench-context.js';
import { APP_SETTINGS } from '../processes/app-settings.js';
import {
  BASELINE_PREFIX,
  startBaselineHttp,
  startBaselineWorker,
} from '../processes/baseline-processes.js';
import { startConveyorFleet } from '../processes/conveyor-fleet.js';
import type { NodeProcess } from '../processes/node-process.js';
import { type Figure, pairedRatio } from '../report/figure.js';
import { type AlternatingSamples, alternate } from '../support/alternate.js';
import { CompletionStream } from '../support/completion-stream.js';
import { benchEventEnvelope } from '../support/payloads.js';
import { keepAliveAgent, postJson, warmConnections } from '../support/post-json.js';
import {
  awaitRedisBackground,
  pauseRedisForks,
  redisPersistenceCounters,
  settleRedis,
} from '../support/settle-redis.js';
import { median, percentile, round } from '../support/stats.js';
import { calibratedWallClock } from '../support/wall-clock.js';

const QUEUE = 'slack-events';
/** Longest wait for the last jobs of a round to complete. */
const SETTLE_TIMEOUT_MS = 15_000;
/** Upper bound of connections the open-loop sender may open. */
const MAX_SOCKETS = 256;
/** Connections opened before each round: more than the requests in flight at any time. */
const WARM_SOCKETS = 32;
/**
 * A stream id carries Redis's time in whole milliseconds, truncated: the job completed within the
 * millisecond after it, so half of one is added (an unbiased estimate, off by at most 0.5 ms).
 */
const STREAM_MS_MIDPOINT = 0.5;
/**
 * Target of the p99: a ratio to the plain baseline's p99 in the same run (per-round pairs). An
 * absolute time does not hold on a shared 2-core machine, where the baseline's own p99 moves
 * between runs.
 */
const MAX_P99_RATIO = 1.1;

interface LatencySample {
  p50: number;
  p99: number;
  max: number;
  /** p99 of enqueue answer times. */
  answerP99: number;
  /** p99 of how late the sender issued a request against its open-loop schedule. */
  sendLagP99: number;
  /**
   * Medians of the stages each job went through, ms: request start to stored (its `added`
   * event), stored to started (`active`), started to completed.
   */
  stages: [stored: number, started: number, completed: number];
}

/** A steady round's sample: with what the round wrote to the AOF, per job. */
interface SteadySample extends LatencySample {
  aofBytesPerJob: number;
}

/**
 * With the production redis.conf Redis rewrites the AOF (a fork) once it has grown by this much
 * since the last rewrite (`auto-aof-rewrite-min-size`, and `-percentage 100` of a small base).
 */
const AOF_REWRITE_GROWTH_BYTES = 64 * 1024 * 1024;

/** Events read from the stream: the Redis times of a job's stages. */
const STAGE_EVENTS = ['added', 'active', 'completed'] as const;

/** One side: where to POST, over which connections, and the stream of its `completed` events. */
interface Target {
  label: string;
  url: URL;
  /** `GET /healthz` of the same server, to open connections before a round. */
  healthUrl: URL;
  headers: Record<string, string>;
  /** Kept across rounds, as a client's connection pool would be. */
  agent: Agent;
  completions: CompletionStream;
  worker: NodeProcess;
}

/**
 * Sends `rate` enqueues per second for `seconds`, open loop: each send is scheduled on the clock,
 * whatever the answers do. Latency runs from the start of the enqueue request to the moment Redis
 * recorded the job as completed (the `completed` event's stream id, same machine, same clock).
 */
async function openLoopRound(
  target: Target,
  rate: number,
  seconds: number,
  roundId: string,
): Promise<LatencySample> {
  const total = Math.round(rate * seconds);
  const now = calibratedWallClock();
  const startedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  const storedAt = new Map<string, number>();
  const activeAt = new Map<string, number>();
  const stages: [number[], number[], number[]] = [[], [], []];
  const latencies: number[] = [];
  const answers: number[] = [];
  const sendLags: number[] = [];
  let failure: Error | undefined;

  const settle = (jobId: string) => {
    const start = startedAt.get(jobId);
    const done = completedAt.get(jobId);
    if (start === undefined || done === undefined) return;
    latencies.push(done + STREAM_MS_MIDPOINT - start);
    const stored = storedAt.get(jobId);
    const active = activeAt.get(jobId);
    if (stored !== undefined && active !== undefined) {
      stages[0].push(stored + STREAM_MS_MIDPOINT - start);
      stages[1].push(active - stored);
      stages[2].push(done - active);
    }
    startedAt.delete(jobId);
    completedAt.delete(jobId);
    storedAt.delete(jobId);
    activeAt.delete(jobId);
  };
  const onEvent = (jobId: string, redisMs: number, event: string) => {
    if (event === 'added') storedAt.set(jobId, redisMs);
    else if (event === 'active') activeAt.set(jobId, redisMs);
    else {
      completedAt.set(jobId, redisMs);
      settle(jobId);
    }
  };

  const send = async (index: number) => {
    const body = JSON.stringify({ data: benchEventEnvelope(`Ev${roundId}N${index}`) });
    const start = now();
    try {
      const answer = await postJson(target.agent, target.url, body, target.headers, 10_000);
      answers.push(now() - start);
      if (answer.status !== 202) throw new Error(`answered ${answer.status}: ${answer.body}`);
      const id = String((JSON.parse(answer.body) as { id: unknown }).id);
      startedAt.set(id, start);
      settle(id);
    } catch (error) {
      failure ??= error as Error;
    }
  };

  await warmConnections(target.agent, target.healthUrl, WARM_SOCKETS);
  await target.completions.start(onEvent);
  try {
    const intervalMs = 1000 / rate;
    const t0 = now();
    const pending: Promise<void>[] = [];
    let sent = 0;
    while (sent < total) {
      const elapsed = now() - t0;
      const due = Math.min(total, Math.floor(elapsed / intervalMs) + 1);
      while (sent < due) {
        sendLags.push(elapsed - sent * intervalMs);
        pending.push(send(sent++));
      }
      await sleep(1);
    }
    await Promise.all(pending);
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    while (latencies.length < total && performance.now() < deadline && failure === undefined) {
      if (!target.worker.running) throw new Error(`${target.worker.name} exited`);
      await sleep(20);
    }
    if (failure) throw failure;
    if (latencies.length < total) {
      throw new Error(
        `${target.label}: ${total - latencies.length} of ${total} jobs not seen completed`,
      );
    }
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      answerP99: percentile(answers, 99),
      sendLagP99: percentile(sendLags, 99),
      stages: [median(stages[0]), median(stages[1]), median(stages[2])],
    };
  } finally {
    await target.completions.stop();
  }
}

/**
 * Figure 4: enqueue-to-completed latency at a fixed open-loop rate. The real API and worker
 * (a Slack event no handler claims, through `POST /v1/queues/slack-events/jobs`, so with the
 * `event_id` deduplication Slack events get) against the minimal Express server and a raw
 * BullMQ Worker, both at the same worker concurrency.
 *
 * Two sets of rounds. The judged ones run with Redis not forking: rounds that each started right
 * after the AOF rewrite the bench used to settle Redis with had their slowest 1 % in their first
 * 100-300 ms, while every page Redis wrote faulted once (1,000-2,500 minor faults in the first
 * 100 ms), and Conveyor, which writes more per job, took longer to come out of it: the ratio then
 * measured one fork per 6 s round, not the request's path. Those rounds are still run and reported
 * (`latency-p99-after-rewrite`), next to the AOF bytes per job, which set how often the production
 * redis.conf forks at this rate.
 *
 * The API runs one HTTP process here (`APP_SETTINGS.latencyApiProcesses`, production's default),
 * as the baseline does: this figure is one request's path at a rate one process serves, not what
 * a second process buys. At 1,000/s each of two processes batches half as many requests per turn
 * of its event loop: from the warm-up to the last round, two (and their primary) spent 734 µs of
 * CPU per request against 583 µs for one (the baseline's server: 634-670 µs), on a machine the
 * run already nearly fills; the p99 ratios of seven runs each: 1.11x-2.49x (median 1.57x) with
 * two, 0.59x-1.67x (median 1.22x) with one.
 */
export async function measureLatency(ctx: BenchContext): Promise<Figure[]> {
  const { ratePerSecond, warmupSeconds, seconds, concurrency } = ctx.options.latency;
  await ctx.client.flushall();
  const { api, worker, stopApi, stopWorker } = await startConveyorFleet(
    ctx,
    { queues: [QUEUE], concurrency, name: 'worker-latency' },
    APP_SETTINGS.latencyApiProcesses,
  );
  const baseline = await startBaselineHttp(ctx.redis.url, ctx.dir);
  const stopBaseline = ctx.cleanup.add('baseline-http', () => baseline.process.stop());
  const baselineWorker = startBaselineWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    queues: [QUEUE],
    concurrency,
    name: 'baseline-worker-latency',
  });
  const stopBaselineWorker = ctx.cleanup.add('baseline-worker', () => baselineWorker.stop());
  const reader = ctx.redis.client({ maxRetriesPerRequest: 3 });
  const eventsKey = (prefix: string) => new QueueKeys(prefix).toKey(QUEUE, 'events');
  const conveyor: Target = {
    label: 'conveyor',
    url: new URL(`${api.url}/v1/queues/${QUEUE}/jobs`),
    healthUrl: new URL(`${api.url}/healthz`),
    headers: { authorization: api.authorization },
    agent: keepAliveAgent(MAX_SOCKETS),
    completions: new CompletionStream({
      client: reader,
      eventsKey: eventsKey('conveyor'),
      events: STAGE_EVENTS,
    }),
    worker,
  };
  const plain: Target = {
    label: 'baseline',
    url: new URL(`${baseline.url}/v1/queues/${QUEUE}/jobs`),
    healthUrl: new URL(`${baseline.url}/healthz`),
    headers: {},
    agent: keepAliveAgent(MAX_SOCKETS),
    completions: new CompletionStream({
      client: reader,
      eventsKey: eventsKey(BASELINE_PREFIX),
      events: STAGE_EVENTS,
    }),
    worker: baselineWorker,
  };
  let restoreForks: (() => Promise<void>) | undefined;
  try {
    const runId = Date.now().toString(36);
    if (warmupSeconds > 0) {
      ctx.log(`  warm-up: ${warmupSeconds} s each at the same rate`);
      await openLoopRound(conveyor, ratePerSecond, warmupSeconds, `${runId}Wc`);
      await openLoopRound(plain, ratePerSecond, warmupSeconds, `${runId}Wb`);
    }
    const describe = (s: LatencySample) =>
      `p50 ${round(s.p50, 2)} ms, p99 ${round(s.p99, 2)} ms, max ${round(s.max, 1)} ms; ` +
      `stored/started/completed p50 ${s.stages.map((ms) => round(ms, 1)).join('/')} ms`;

    // Judged: steady state. No fork before or during these rounds, so that neither side's p99 is
    // the first few hundred ms after a fork (measured apart below).
    await settleRedis(ctx.client);
    restoreForks = await pauseRedisForks(ctx.client);
    const jobsPerRound = Math.round(ratePerSecond * seconds);
    let steadyForks = 0;
    const steadyRound = async (target: Target, roundId: string): Promise<SteadySample> => {
      const before = await redisPersistenceCounters(ctx.client);
      const sample = await openLoopRound(target, ratePerSecond, seconds, roundId);
      const after = await redisPersistenceCounters(ctx.client);
      steadyForks += after.forks - before.forks;
      return { ...sample, aofBytesPerJob: (after.aofBytes - before.aofBytes) / jobsPerRound };
    };
    ctx.log('  steady rounds: Redis does not fork');
    const samples = await alternate<SteadySample>(
      ctx.options.rounds,
      {
        label: 'conveyor',
        run: (n) => steadyRound(conveyor, `${runId}C${n}`),
        reset: () => awaitRedisBackground(ctx.client),
      },
      {
        label: 'baseline',
        run: (n) => steadyRound(plain, `${runId}B${n}`),
        reset: () => awaitRedisBackground(ctx.client),
      },
      ctx.log,
      (s) => `${describe(s)}; AOF ${Math.round(s.aofBytesPerJob)} B/job`,
    );
    await restoreForks();
    restoreForks = undefined;

    // Reported: rounds that each start right after an AOF rewrite (the production redis.conf's
    // own rewrites come every AOF_REWRITE_GROWTH_BYTES written, see the AOF row).
    ctx.log('  rounds right after an AOF rewrite');
    const afterRewrite = await alternate(
      ctx.options.rounds,
      {
        label: 'conveyor',
        run: (n) => openLoopRound(conveyor, ratePerSecond, seconds, `${runId}RC${n}`),
        reset: () => settleRedis(ctx.client),
      },
      {
        label: 'baseline',
        run: (n) => openLoopRound(plain, ratePerSecond, seconds, `${runId}RB${n}`),
        reset: () => settleRedis(ctx.client),
      },
      ctx.log,
      describe,
    );

    const pick = (
      sides: AlternatingSamples<LatencySample>,
      key: Exclude<keyof LatencySample, 'stages'>,
    ) => ({
      conveyor: sides.conveyor.map((s) => round(s[key], 2)),
      baseline: sides.baseline.map((s) => round(s[key], 2)),
    });
    const stagesOf = (side: LatencySample[]) =>
      side.map((s) => s.stages.map((ms) => round(ms, 1)).join('/')).join(', ');
    const roundsNotes = (sides: AlternatingSamples<LatencySample>) =>
      `Enqueue answer p99 ms: ${JSON.stringify(pick(sides, 'answerP99'))}; max: ${JSON.stringify(pick(sides, 'max'))}; ` +
      `sender lateness against the open-loop schedule, p99 ms: ${JSON.stringify(pick(sides, 'sendLagP99'))}. ` +
      "Medians per round of request start to stored / stored to started / started to completed, ms (the jobs' " +
      `'added', 'active' and 'completed' events): Conveyor ${stagesOf(sides.conveyor)}; baseline ${stagesOf(sides.baseline)}.`;
    const method =
      `${ratePerSecond} enqueues/s for ${seconds} s per round, open loop, POST /v1/queues/${QUEUE}/jobs ` +
      `(Slack event, deduplicated by event_id) to the API (API_PROCESSES=${APP_SETTINGS.latencyApiProcesses}, one ` +
      `process like the baseline's), worker concurrency ${concurrency}; from the ` +
      'start of the enqueue request (bench clock, calibrated to the system clock each round) to the ' +
      "moment Redis recorded the job completed (the id of its 'completed' event in the queue's events " +
      'stream, + 0.5 ms for the truncated millisecond), read every 50 ms without blocking. ';
    const steadyMethod =
      `${method}Steady rounds: the AOF is rewritten once before the first, then Redis's own AOF rewrites ` +
      `and save snapshots are off until the last has run, so that Redis does not fork (forks counted during them: ${steadyForks}). `;
    const aof = {
      conveyor: samples.conveyor.map((s) => Math.round(s.aofBytesPerJob)),
      baseline: samples.baseline.map((s) => Math.round(s.aofBytesPerJob)),
    };
    const rewriteEvery = (bytesPerJob: number) =>
      round(AOF_REWRITE_GROWTH_BYTES / (bytesPerJob * ratePerSecond), 1);
    const aofConveyor = median(aof.conveyor);
    const aofBaseline = median(aof.baseline);
    const rewriteNotes =
      `${method}Each round starts right after an AOF rewrite (a fork) ended: every page Redis writes ` +
      'after a fork faults once, and the first 100-300 ms of such a round are slow on both sides. ' +
      `With the production redis.conf Redis rewrites the AOF every ${AOF_REWRITE_GROWTH_BYTES / 1024 / 1024} MiB ` +
      `it writes: at ${ratePerSecond}/s, about every ${rewriteEvery(aofConveyor)} s for Conveyor and ` +
      `${rewriteEvery(aofBaseline)} s for the baseline (AOF bytes per job, the row below). ${roundsNotes(afterRewrite)}`;
    const p50 = pick(samples, 'p50');
    const p99 = pick(samples, 'p99');
    const p99AfterRewrite = pick(afterRewrite, 'p99');
    const p99Ratio = pairedRatio(p99);
    return [
      {
        id: 'latency-p50',
        label: `Enqueue-to-completed p50 at ${ratePerSecond}/s (ms)`,
        conveyor: median(p50.conveyor),
        baseline: median(p50.baseline),
        ratio: pairedRatio(p50),
        target: 'report',
        pass: null,
        digits: 2,
        samples: p50,
        notes: steadyMethod + roundsNotes(samples),
      },
      {
        id: 'latency-p99',
        label: `Enqueue-to-completed p99 at ${ratePerSecond}/s (ms)`,
        conveyor: median(p99.conveyor),
        baseline: median(p99.baseline),
        ratio: p99Ratio,
        target: `<= ${MAX_P99_RATIO}x`,
        pass: Number.isFinite(p99Ratio) && p99Ratio <= MAX_P99_RATIO,
        digits: 2,
        samples: p99,
        notes: steadyMethod + roundsNotes(samples),
      },
      {
        id: 'latency-p99-after-rewrite',
        label: `Enqueue-to-completed p99 at ${ratePerSecond}/s, rounds right after an AOF rewrite (ms)`,
        conveyor: median(p99AfterRewrite.conveyor),
        baseline: median(p99AfterRewrite.baseline),
        ratio: pairedRatio(p99AfterRewrite),
        target: 'report',
        pass: null,
        digits: 2,
        samples: p99AfterRewrite,
        notes: rewriteNotes,
      },
      {
        id: 'latency-aof-bytes',
        label: `AOF bytes written per job at ${ratePerSecond}/s`,
        conveyor: aofConveyor,
        baseline: aofBaseline,
        ratio: pairedRatio(aof),
        target: 'report',
        pass: null,
        digits: 0,
        samples: aof,
        notes:
          "Growth of Redis's aof_current_size over each steady round, over the round's jobs: every write " +
          "command of the enqueue and of the worker's fetch, completion and retention, as Redis logs it. " +
          'It sets how often Redis forks to rewrite the AOF, and what a replica receives.',
      },
    ];
  } finally {
    await restoreForks?.();
    conveyor.agent.destroy();
    plain.agent.destroy();
    reader.disconnect();
    await Promise.all([stopApi(), stopWorker(), stopBaseline(), stopBaselineWorker()]);
  }
}

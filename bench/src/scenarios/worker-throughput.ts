import { QUEUE_CATALOG, type QueueName } from '@conveyor/queues';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { BASELINE_PREFIX, startBaselineWorker } from '../processes/baseline-processes.js';
import { type ConveyorApi, startConveyorApi } from '../processes/conveyor-api.js';
import { startConveyorWorker } from '../processes/conveyor-worker.js';
import type { NodeProcess } from '../processes/node-process.js';
import { type Figure, ratioFigure } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { inlineIngestionPayload, reactionAddedEnvelope } from '../support/payloads.js';
import { FILL_RETRIES, keepAliveAgent, postBulk } from '../support/post-json.js';
import { processTreeCpuMs } from '../support/process-cpu.js';
import { fill, waitForConsumer, waitUntilDrained } from '../support/queue-tools.js';
import { redisCpuMs } from '../support/redis-cpu.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, round } from '../support/stats.js';

/** The catalog queues the worker figures drain, and the job each carries. */
const WORKLOADS = {
  slack: {
    queue: 'slack-events',
    job: (id: string) => ({ name: 'reaction_added', data: reactionAddedEnvelope(`Ev${id}`) }),
  },
  ingestion: {
    queue: 'ingestion',
    job: (id: string) => ({ name: 'ingest', data: inlineIngestionPayload(`bench-${id}`) }),
  },
} as const satisfies Record<string, { queue: QueueName; job: (id: string) => unknown }>;
type Workload = keyof typeof WORKLOADS;

/** What one round of one side measured, in jobs per second. */
type RoundSample = Record<Workload, number>;

/** Catalog queue objects of one side (Conveyor's prefix or the baseline's). */
type SideQueues = Record<Workload, Queue>;

/**
 * Figure 3: worker throughput on real catalog jobs through their registered handlers, at each
 * concurrency of `options.worker.concurrencies`. The real worker process consumes `slack-events`
 * and `ingestion`; a raw BullMQ Worker per queue with a no-op processor runs the same jobs at the
 * same concurrency on the same Redis. Each round fills a paused queue (Conveyor's through the real
 * API's bulk route, so that its jobs are stored as the product stores them: with their tenant's
 * turn as BullMQ priority; the baseline's with `addBulk`), resumes it and times until
 * no job is left unfinished: `reaction_added` events (no handler claims them; the fallback
 * completes them as ignored, the product's cheapest real path, judged at >= 0.9x), then small
 * inline ingestions (lock, extract, chunk, a file and the document state per job: reported, since
 * a no-op cannot write files).
 */
export async function measureWorkerThroughput(ctx: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  await ctx.client.flushall();
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
  try {
    for (const concurrency of ctx.options.worker.concurrencies) {
      ctx.log(`  concurrency ${concurrency}`);
      figures.push(...(await measureAt(ctx, api, concurrency)));
    }
  } finally {
    await stopApi();
  }
  return figures;
}

/** Jobs per bulk request when filling Conveyor's queue, and requests at once. */
const FILL_BATCH = 1000;
const FILL_IN_FLIGHT = 4;

/** Adds `total` jobs through the API's bulk route (outside any measurement). */
async function fillThroughApi(
  api: ConveyorApi,
  queue: string,
  total: number,
  job: (index: number) => { data: unknown },
): Promise<void> {
  const agent = keepAliveAgent(FILL_IN_FLIGHT);
  try {
    await postBulk(
      agent,
      new URL(`${api.url}/v1/queues/${queue}/jobs/bulk`),
      { authorization: api.authorization },
      Math.ceil(total / FILL_BATCH),
      FILL_IN_FLIGHT,
      (request) =>
        JSON.stringify({
          jobs: Array.from(
            { length: Math.min(FILL_BATCH, total - request * FILL_BATCH) },
            (_, i) => ({
              data: job(request * FILL_BATCH + i).data,
            }),
          ),
        }),
      FILL_RETRIES,
    );
  } finally {
    agent.destroy();
  }
}

function openQueues(ctx: BenchContext, prefix: string): SideQueues {
  const connection = bullConnection(ctx);
  const open = (queue: QueueName) =>
    new Queue(queue, {
      connection,
      prefix,
      defaultJobOptions: QUEUE_CATALOG[queue].defaultJobOptions,
    });
  return { slack: open(WORKLOADS.slack.queue), ingestion: open(WORKLOADS.ingestion.queue) };
}

async function measureAt(
  ctx: BenchContext,
  api: ConveyorApi,
  concurrency: number,
): Promise<Figure[]> {
  const { jobs, ingestionJobs } = ctx.options.worker;
  const sizes: RoundSample = { slack: jobs, ingestion: ingestionJobs };
  await ctx.client.flushall();
  const queueNames = [WORKLOADS.slack.queue, WORKLOADS.ingestion.queue];
  const conveyorQueues = openQueues(ctx, 'conveyor');
  const baselineQueues = openQueues(ctx, BASELINE_PREFIX);
  const conveyorWorker = startConveyorWorker({
    script: ctx.scripts.worker,
    redisUrl: ctx.redis.url,
    queues: queueNames,
    concurrency,
    dir: ctx.dir,
    name: `worker-throughput-c${concurrency}`,
    ...(ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {}),
  });
  const stopConveyor = ctx.cleanup.add('worker', () => conveyorWorker.stop());
  const baselineWorker = startBaselineWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    queues: queueNames,
    concurrency,
    name: `baseline-worker-throughput-c${concurrency}`,
  });
  const stopBaseline = ctx.cleanup.add('baseline-worker', () => baselineWorker.stop());
  const runId = `${Date.now().toString(36)}c${concurrency}`;
  const workloadOf = (queue: Queue): Workload =>
    queue.name === WORKLOADS.slack.queue ? 'slack' : 'ingestion';
  const sides = [
    ['conveyor', conveyorQueues, conveyorWorker],
    ['baseline', baselineQueues, baselineWorker],
  ] as const;
  try {
    for (const [side, queues, worker] of sides) {
      for (const workload of Object.keys(WORKLOADS) as Workload[]) {
        await waitForConsumer(
          queues[workload],
          WORKLOADS[workload].job(`${runId}P${side}`),
          worker,
        );
      }
    }

    // CPU per Slack event of each side's worker, of the API meanwhile (it only filled the queue;
    // job events are read only while a wait or stream watches, and none does here), and of Redis,
    // which both sides share and which bounds a drain on two cores.
    const cpuPerJob = {
      conveyorWorker: [] as number[],
      api: [] as number[],
      baseline: [] as number[],
      conveyorRedis: [] as number[],
      baselineRedis: [] as number[],
    };
    const cpuOf = async (worker: NodeProcess) => ({
      worker: processTreeCpuMs(worker.pid),
      api: processTreeCpuMs(api.process.pid),
      redis: await redisCpuMs(ctx.client),
    });
    const recordCpu = async (
      queue: Queue,
      worker: NodeProcess,
      before: Awaited<ReturnType<typeof cpuOf>>,
      total: number,
    ) => {
      if (workloadOf(queue) !== 'slack') return;
      const after = await cpuOf(worker);
      const perJob = (from?: number, to?: number) =>
        from === undefined || to === undefined ? undefined : round(((to - from) * 1000) / total);
      const redisUs = round(((after.redis - before.redis) * 1000) / total);
      if (worker === conveyorWorker) cpuPerJob.conveyorRedis.push(redisUs);
      else cpuPerJob.baselineRedis.push(redisUs);
      const workerUs = perJob(before.worker, after.worker);
      const apiUs = perJob(before.api, after.api);
      if (workerUs === undefined || apiUs === undefined) return;
      if (worker === conveyorWorker) {
        cpuPerJob.conveyorWorker.push(workerUs);
        cpuPerJob.api.push(apiUs);
      } else cpuPerJob.baseline.push(workerUs);
    };
    const drain = async (
      queue: Queue,
      worker: NodeProcess,
      total: number,
      job: (index: number) => { name: string; data: unknown },
    ) => {
      await queue.pause();
      if (queue === conveyorQueues[workloadOf(queue)]) {
        await fillThroughApi(api, queue.name, total, job);
      } else await fill(queue, total, 1000, job);
      await settleRedis(ctx.client);
      const failedBefore = await queue.getFailedCount();
      const cpuBefore = await cpuOf(worker);
      const started = performance.now();
      await queue.resume();
      const finished = await waitUntilDrained(queue, { timeoutMs: 300_000, worker });
      await recordCpu(queue, worker, cpuBefore, total);
      const failed = (await queue.getFailedCount()) - failedBefore;
      if (failed > 0) throw new Error(`${worker.name} failed ${failed} ${queue.name} jobs`);
      return total / ((finished - started) / 1000);
    };
    const drainRound =
      (queues: SideQueues, worker: NodeProcess, side: string, counts = sizes) =>
      async (n: number): Promise<RoundSample> => {
        const sample = { slack: 0, ingestion: 0 };
        for (const workload of Object.keys(WORKLOADS) as Workload[]) {
          const make = WORKLOADS[workload].job;
          sample[workload] = await drain(queues[workload], worker, counts[workload], (index) =>
            make(`${runId}${side}R${n}N${index}`),
          );
        }
        return sample;
      };
    const warmUp = {
      slack: Math.min(Math.ceil(jobs / 5), 2000),
      ingestion: Math.min(Math.ceil(ingestionJobs / 5), 500),
    };
    ctx.log(`  warm-up: ${warmUp.slack} Slack events and ${warmUp.ingestion} ingestions each`);
    for (const [side, queues, worker] of sides) await drainRound(queues, worker, side, warmUp)(0);
    const samples = await alternate(
      ctx.options.rounds,
      { label: 'conveyor', run: drainRound(conveyorQueues, conveyorWorker, 'C') },
      { label: 'baseline', run: drainRound(baselineQueues, baselineWorker, 'B') },
      ctx.log,
      (s) => `${round(s.slack)} Slack events/s, ${round(s.ingestion)} ingestions/s`,
    );
    const figure = (workload: Workload) => {
      const conveyor = samples.conveyor.map((s) => round(s[workload]));
      const baseline = samples.baseline.map((s) => round(s[workload]));
      return { conveyor, baseline, medians: [median(conveyor), median(baseline)] as const };
    };
    const slack = figure('slack');
    const lastRounds = (values: number[]) => values.slice(-ctx.options.rounds).join('/');
    const processNote =
      cpuPerJob.baseline.length > 0
        ? ` Process CPU per event, µs (warm-up excluded, /proc, 10 ms resolution): Conveyor worker ${lastRounds(cpuPerJob.conveyorWorker)}, ` +
          `the API during Conveyor's drains ${lastRounds(cpuPerJob.api)} ` +
          `(job events are read only for a wait or stream), raw worker ${lastRounds(cpuPerJob.baseline)}.`
        : '';
    const cpuNote =
      `${processNote} Redis CPU per event, µs (INFO cpu, all threads): during Conveyor's drains ` +
      `${lastRounds(cpuPerJob.conveyorRedis)}, during the raw worker's ${lastRounds(cpuPerJob.baselineRedis)}.`;
    const ingestion = figure('ingestion');
    const setup =
      `the real worker process (WORKER_QUEUES=${queueNames.join(',')}, WORKER_CONCURRENCY=${concurrency}) ` +
      `against a raw BullMQ Worker per queue with a no-op processor at concurrency ${concurrency}; ` +
      'jobs added to the paused queue (Conveyor: through POST /v1/queues/:queue/jobs/bulk, stored as the ' +
      "product stores them, with their tenant's turn as priority; baseline: addBulk with the catalog job " +
      'options), then timed from resume until none is waiting or active.';
    return [
      ratioFigure({
        id: `worker-throughput-c${concurrency}`,
        label: `Worker throughput, ignored Slack event, concurrency ${concurrency} (jobs/s)`,
        conveyor: slack.medians[0],
        baseline: slack.medians[1],
        minRatio: 0.9,
        samples: { conveyor: slack.conveyor, baseline: slack.baseline },
        notes:
          `${jobs} slack-events "reaction_added" events per round, which the worker completes ` +
          `through the registered fallback handler (ignored); ${setup}${cpuNote}`,
      }),
      ratioFigure({
        id: `worker-ingestion-c${concurrency}`,
        label: `Worker throughput, inline ingestion, concurrency ${concurrency} (jobs/s)`,
        conveyor: ingestion.medians[0],
        baseline: ingestion.medians[1],
        samples: { conveyor: ingestion.conveyor, baseline: ingestion.baseline },
        notes:
          `${ingestionJobs} "ingest" jobs per round, each a different document with ~400 bytes of ` +
          'inline Markdown, through the registered ingest handler (document lock, extract, hash, ' +
          'chunk, one JSON Lines file, document state: about ten Redis calls and a file write per ' +
          `job, so reported against the no-op, not judged); ${setup}`,
      }),
    ];
  } finally {
    await Promise.all(
      [...Object.values(conveyorQueues), ...Object.values(baselineQueues)].map((q) => q.close()),
    );
    await Promise.all([stopConveyor(), stopBaseline()]);
  }
}

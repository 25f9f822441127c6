import { QUEUE_CATALOG } from '@conveyor/queues';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { BASELINE_PREFIX, startBaselineWorker } from '../processes/baseline-processes.js';
import { startConveyorWorker } from '../processes/conveyor-worker.js';
import type { NodeProcess } from '../processes/node-process.js';
import { type Figure, ratioFigure } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { BENCH_EVENT_TYPE, benchEventEnvelope } from '../support/payloads.js';
import { fill, waitForConsumer, waitUntilDrained } from '../support/queue-tools.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, round } from '../support/stats.js';

const QUEUE = 'slack-events';

/**
 * Figure 3: worker throughput on a near no-op job. The real worker process runs `slack-events`
 * events of a type no handler claims (its fallback completes them as ignored); a raw BullMQ
 * Worker with a no-op processor runs the same jobs at the same concurrency. Each round fills the
 * paused queue, resumes it, and times until no job is left unfinished.
 */
export async function measureWorkerThroughput(ctx: BenchContext): Promise<Figure[]> {
  const { jobs, concurrency } = ctx.options.worker;
  await ctx.client.flushall();
  const connection = bullConnection(ctx);
  const jobOptions = QUEUE_CATALOG[QUEUE].defaultJobOptions;
  const conveyorQueue = new Queue(QUEUE, {
    connection,
    prefix: 'conveyor',
    defaultJobOptions: jobOptions,
  });
  const baselineQueue = new Queue(QUEUE, {
    connection,
    prefix: BASELINE_PREFIX,
    defaultJobOptions: jobOptions,
  });
  const conveyorWorker = startConveyorWorker({
    script: ctx.scripts.worker,
    redisUrl: ctx.redis.url,
    queues: [QUEUE],
    concurrency,
    dir: ctx.dir,
    name: 'worker-throughput',
    ...(ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {}),
  });
  const stopConveyor = ctx.cleanup.add('worker', () => conveyorWorker.stop());
  const baselineWorker = startBaselineWorker({
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    queue: QUEUE,
    concurrency,
    name: 'baseline-worker-throughput',
  });
  const stopBaseline = ctx.cleanup.add('baseline-worker', () => baselineWorker.stop());
  const runId = Date.now().toString(36);
  const job = (index: number) => ({
    name: BENCH_EVENT_TYPE,
    data: benchEventEnvelope(`Ev${runId}T${index}`),
  });
  try {
    await waitForConsumer(conveyorQueue, job(-1), conveyorWorker);
    await waitForConsumer(baselineQueue, job(-2), baselineWorker);

    const drainRound = (queue: Queue, worker: NodeProcess) => async (round: number) => {
      await queue.pause();
      await fill(queue, jobs, 1000, (index) => job(round * jobs + index));
      await settleRedis(ctx.client);
      const failedBefore = await queue.getFailedCount();
      const started = performance.now();
      await queue.resume();
      const finished = await waitUntilDrained(queue, { timeoutMs: 300_000, worker });
      const failed = (await queue.getFailedCount()) - failedBefore;
      if (failed > 0) throw new Error(`${worker.name} failed ${failed} jobs`);
      return jobs / ((finished - started) / 1000);
    };
    ctx.log(`  warm-up: ${Math.min(jobs, 2000)} jobs each`);
    for (const [queue, worker] of [
      [conveyorQueue, conveyorWorker],
      [baselineQueue, baselineWorker],
    ] as const) {
      await fill(queue, Math.min(jobs, 2000), 1000, (index) => job(-1000 - index));
      await waitUntilDrained(queue, { timeoutMs: 60_000, worker });
    }
    const samples = await alternate(
      ctx.options.rounds,
      { label: 'conveyor', run: drainRound(conveyorQueue, conveyorWorker) },
      { label: 'baseline', run: drainRound(baselineQueue, baselineWorker) },
      ctx.log,
      (jobsPerSecond) => `${round(jobsPerSecond)} jobs/s`,
    );
    return [
      ratioFigure({
        id: 'worker-throughput',
        label: `Worker throughput, no-op job, concurrency ${concurrency} (jobs/s)`,
        conveyor: median(samples.conveyor),
        baseline: median(samples.baseline),
        minRatio: 0.9,
        samples: {
          conveyor: samples.conveyor.map((v) => round(v)),
          baseline: samples.baseline.map((v) => round(v)),
        },
        notes:
          `${jobs} "${BENCH_EVENT_TYPE}" slack-events jobs (catalog job options) added to the paused queue, ` +
          'then timed from resume until none is waiting or active; the real worker process ' +
          `(WORKER_QUEUES=${QUEUE}, WORKER_CONCURRENCY=${concurrency}) completes them through its ` +
          'fallback handler, the raw BullMQ Worker with a no-op processor.',
      }),
    ];
  } finally {
    await Promise.all([conveyorQueue.close(), baselineQueue.close()]);
    await Promise.all([stopConveyor(), stopBaseline()]);
  }
}

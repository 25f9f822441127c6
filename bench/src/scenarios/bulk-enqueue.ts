import { QUEUE_CATALOG } from '@conveyor/queues';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { BASELINE_PREFIX } from '../processes/baseline-processes.js';
import { startConveyorApi } from '../processes/conveyor-api.js';
import { type Figure, ratioFigure } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { emptyQueue } from '../support/empty-queue.js';
import { ingestionPayload } from '../support/payloads.js';
import { keepAliveAgent, postBulk } from '../support/post-json.js';
import { runPool } from '../support/run-pool.js';
import { median, round } from '../support/stats.js';

const QUEUE = 'ingestion';

/**
 * Figure 2: bulk enqueue. `jobs` jobs through the API's `/jobs/bulk` (`batch` per request,
 * `inFlight` requests at once) against the bench calling `queue.addBulk` itself in batches of the
 * same size with the same concurrency. Each round starts on an empty queue and checks that every
 * job was stored.
 */
export async function measureBulkEnqueue(ctx: BenchContext): Promise<Figure[]> {
  const { jobs, batch, inFlight } = ctx.options.bulk;
  const requests = Math.ceil(jobs / batch);
  await ctx.client.flushall();
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
    ...(ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {}),
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
  const connection = bullConnection(ctx);
  const conveyorQueue = new Queue(QUEUE, { connection, prefix: 'conveyor' });
  const baselineQueue = new Queue(QUEUE, {
    connection,
    prefix: BASELINE_PREFIX,
    defaultJobOptions: QUEUE_CATALOG[QUEUE].defaultJobOptions,
  });
  const agent = keepAliveAgent(inFlight);
  try {
    const payloads = Array.from({ length: batch }, (_, index) => ingestionPayload(index));
    const body = JSON.stringify({ jobs: payloads.map((data) => ({ data })) });
    const bulkUrl = new URL(`${api.url}/v1/queues/${QUEUE}/jobs/bulk`);
    const headers = { authorization: api.authorization };
    const baselineJobs = payloads.map((data) => ({ name: 'ingest', data }));

    const viaApi = async () => {
      const started = performance.now();
      await postBulk(agent, bulkUrl, headers, requests, inFlight, () => body);
      return performance.now() - started;
    };
    const viaAddBulk = async () => {
      const started = performance.now();
      await runPool(requests, inFlight, async () => {
        await baselineQueue.addBulk(baselineJobs);
      });
      return performance.now() - started;
    };
    const checked = (queue: Queue, run: () => Promise<number>) => async () => {
      const ms = await run();
      // The producer's jobs wait their tenant's turn in BullMQ's prioritized set.
      const stored = await queue.getJobCountByTypes('waiting', 'prioritized');
      if (stored !== requests * batch) {
        throw new Error(`${queue.name}: ${stored} jobs stored, expected ${requests * batch}`);
      }
      return (requests * batch) / (ms / 1000);
    };
    const empty = (queue: Queue) => async () => {
      await emptyQueue(ctx.client, queue);
    };

    // A whole unmeasured round each: every API process has to reach optimised code (the bench
    // process running the baseline does too), and one request warmed only one of them.
    ctx.log(`  warm-up: one unmeasured round each (${requests * batch} jobs)`);
    await checked(conveyorQueue, viaApi)();
    await empty(conveyorQueue)();
    await checked(baselineQueue, viaAddBulk)();
    await empty(baselineQueue)();

    const samples = await alternate(
      ctx.options.rounds,
      { label: 'conveyor', run: checked(conveyorQueue, viaApi), reset: empty(conveyorQueue) },
      { label: 'baseline', run: checked(baselineQueue, viaAddBulk), reset: empty(baselineQueue) },
      ctx.log,
      (jobsPerSecond) => `${round(jobsPerSecond)} jobs/s`,
    );
    return [
      ratioFigure({
        id: 'bulk-enqueue',
        label: `Bulk enqueue, ${jobs.toLocaleString('en-US')} jobs (jobs/s)`,
        conveyor: median(samples.conveyor),
        baseline: median(samples.baseline),
        minRatio: 0.9,
        samples: {
          conveyor: samples.conveyor.map((v) => round(v)),
          baseline: samples.baseline.map((v) => round(v)),
        },
        notes:
          `${requests} requests of ${batch} jobs, ${inFlight} in flight, to POST /v1/queues/${QUEUE}/jobs/bulk ` +
          `(${Buffer.byteLength(body)} bytes each) vs queue.addBulk from the bench process with the same batches ` +
          'and concurrency; time until the last batch is stored, every job counted after each round.',
      }),
    ];
  } finally {
    agent.destroy();
    await Promise.all([conveyorQueue.close(), baselineQueue.close()]);
    await stopApi();
  }
}

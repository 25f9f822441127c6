import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_CATALOG } from '@conveyor/queues';
import { parseInfo } from '@conveyor/redis';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { startConveyorWorker } from '../processes/conveyor-worker.js';
import type { Figure } from '../report/figure.js';
import { BENCH_EVENT_TYPE, benchEventEnvelope } from '../support/payloads.js';
import { processRss } from '../support/process-rss.js';
import { unfinishedCount, waitForConsumer, waitUntilDrained } from '../support/queue-tools.js';
import { round } from '../support/stats.js';

const QUEUE = 'slack-events';
const BATCH = 1000;
const MIB = 1024 * 1024;
/** Most jobs the run may need, as a safety net against a stuck worker. */
const RUN_TIMEOUT_MS = 20 * 60_000;

interface MemoryPoint {
  processed: number;
  usedMemoryBytes: number;
  workerRssBytes: number;
  seconds: number;
}

async function usedMemory(ctx: BenchContext): Promise<number> {
  return Number(parseInfo(await ctx.client.info('memory')).get('used_memory') ?? Number.NaN);
}

/**
 * Figure 5: memory under the catalog's retention. `jobs` Slack events pass through the real worker
 * (at high concurrency) with the `slack-events` job options, so completed jobs are trimmed to the
 * newest 1,000. The bench enqueues with `addBulk` and keeps at most `backlog` jobs waiting, so
 * the figures are about retention, not about a backlog. At the checkpoint and at the end it lets
 * the queue drain and reads Redis `used_memory` and the worker's RSS: bounded means the end is
 * not meaningfully above the checkpoint.
 */
export async function measureRetentionMemory(ctx: BenchContext): Promise<Figure[]> {
  const { jobs, concurrency, backlog, checkpoint } = ctx.options.memory;
  await ctx.client.flushall();
  const connection = bullConnection(ctx);
  const queue = new Queue(QUEUE, {
    connection,
    prefix: 'conveyor',
    defaultJobOptions: QUEUE_CATALOG[QUEUE].defaultJobOptions,
  });
  const worker = startConveyorWorker({
    script: ctx.scripts.worker,
    redisUrl: ctx.redis.url,
    queues: [QUEUE],
    concurrency,
    dir: ctx.dir,
    name: 'worker-memory',
  });
  const stopWorker = ctx.cleanup.add('worker', () => worker.stop());
  const runId = Date.now().toString(36);
  const job = (index: number) => ({
    name: BENCH_EVENT_TYPE,
    data: benchEventEnvelope(`Ev${runId}M${index}`),
  });
  try {
    await waitForConsumer(queue, job(-1), worker);
    const started = performance.now();
    const points: MemoryPoint[] = [];
    const measure = async (processed: number) => {
      await waitUntilDrained(queue, { timeoutMs: 120_000, intervalMs: 20, worker });
      const point = {
        processed,
        usedMemoryBytes: await usedMemory(ctx),
        workerRssBytes: processRss(worker.pid),
        seconds: round((performance.now() - started) / 1000, 1),
      };
      points.push(point);
      ctx.log(
        `  ${processed.toLocaleString('en-US')} jobs: used_memory ${round(point.usedMemoryBytes / MIB, 1)} MiB, ` +
          `worker RSS ${round(point.workerRssBytes / MIB, 1)} MiB, ${point.seconds} s`,
      );
      return point;
    };
    await measure(0);
    const marks = new Set([checkpoint, Math.round(jobs / 2), jobs]);
    let added = 0;
    while (added < jobs) {
      if (performance.now() - started > RUN_TIMEOUT_MS) {
        throw new Error(`only ${added} of ${jobs} jobs enqueued after ${RUN_TIMEOUT_MS} ms`);
      }
      if (!worker.running) throw new Error(`${worker.name} exited:\n${worker.logTail()}`);
      if ((await unfinishedCount(queue)) > backlog) {
        await sleep(20);
        continue;
      }
      const size = Math.min(BATCH, jobs - added);
      await queue.addBulk(Array.from({ length: size }, (_, offset) => job(added + offset)));
      added += size;
      if (marks.has(added)) await measure(added);
    }
    const failed = await queue.getFailedCount();
    if (failed > 0) throw new Error(`${failed} jobs failed`);
    const atCheckpoint = points.find((point) => point.processed === checkpoint) ?? points[1];
    const final = points.at(-1);
    if (atCheckpoint === undefined || final === undefined) throw new Error('no memory points');
    const totalSeconds = (performance.now() - started) / 1000;
    const notes =
      `${jobs.toLocaleString('en-US')} "${BENCH_EVENT_TYPE}" jobs with the slack-events job options ` +
      `(removeOnComplete ${JSON.stringify(QUEUE_CATALOG[QUEUE].defaultJobOptions.removeOnComplete)}), ` +
      `enqueued with addBulk at most ${backlog} ahead, real worker at concurrency ${concurrency}; ` +
      `${round(jobs / totalSeconds)} jobs/s over ${round(totalSeconds)} s. Read after the queue drained, ` +
      `baseline = the same reading after ${checkpoint.toLocaleString('en-US')} jobs. Points (jobs: used_memory MiB / RSS MiB): ` +
      points
        .map(
          (p) =>
            `${p.processed}: ${round(p.usedMemoryBytes / MIB, 1)} / ${round(p.workerRssBytes / MIB, 1)}`,
        )
        .join(', ');
    /** A figure that passes when the reading grew at most `maxRatio` since the checkpoint. */
    const flat = (
      id: string,
      label: string,
      read: (point: MemoryPoint) => number,
      maxRatio: number,
    ): Figure => {
      const ratio = read(final) / read(atCheckpoint);
      return {
        id,
        label: `${label} after ${jobs.toLocaleString('en-US')} jobs (MiB)`,
        conveyor: read(final) / MIB,
        baseline: read(atCheckpoint) / MIB,
        ratio,
        target: `<= ${maxRatio}x (flat)`,
        pass: ratio <= maxRatio,
        digits: 1,
        samples: {
          conveyor: points.map((point) => round(read(point) / MIB, 2)),
          baseline: [round(read(atCheckpoint) / MIB, 2)],
        },
        notes,
      };
    };
    return [
      flat('redis-used-memory', 'Redis used_memory', (point) => point.usedMemoryBytes, 1.25),
      flat('worker-rss', 'Worker RSS', (point) => point.workerRssBytes, 1.5),
    ];
  } finally {
    await queue.close();
    await stopWorker();
  }
}

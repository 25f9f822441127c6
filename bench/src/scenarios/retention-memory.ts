import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_CATALOG } from '@conveyor/queues';
import { parseInfo } from '@conveyor/redis';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { startConveyorApi } from '../processes/conveyor-api.js';
import { startConveyorWorker } from '../processes/conveyor-worker.js';
import { type Figure, failedFigure } from '../report/figure.js';
import { dropKeys } from '../support/drop-keys.js';
import { BENCH_EVENT_TYPE, benchEventEnvelope } from '../support/payloads.js';
import { FILL_RETRIES, keepAliveAgent, postBulk } from '../support/post-json.js';
import { processRss } from '../support/process-rss.js';
import { unfinishedCount, waitForConsumer, waitUntilDrained } from '../support/queue-tools.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, percentile, round } from '../support/stats.js';

const QUEUE = 'slack-events';
const BATCH = 1000;
const MIB = 1024 * 1024;
/** Most jobs the run may need, as a safety net against a stuck worker. */
const RUN_TIMEOUT_MS = 20 * 60_000;
/** Jobs that carry the searched value: the key has this many matches. */
const MARKED_JOBS = 10;
/** Kept delayed for the whole run, so that retention never removes them. */
const MARKED_DELAY_MS = 24 * 60 * 60 * 1000;
/** The states the flow goes through; the marked jobs stay delayed. */
const FLOWING = ['wait', 'prioritized', 'active'] as const;
/**
 * The 24-hour deduplication markers of Slack events (BullMQ's by `event_id`, and the producer's
 * own): one each per job, by design (Slack retries an event for hours), so they grow with the
 * jobs of the last day whatever the retention. Dropped before each judged reading, and reported.
 */
const DEDUPE_MARKERS = [`conveyor:${QUEUE}:de:*`, `conveyor:${QUEUE}:idem:*`];
/** Target of the search p99 (issue 16). */
const MAX_SEARCH_P99_MS = 5;

interface MemoryPoint {
  processed: number;
  /** Once the dedupe markers are dropped. */
  usedMemoryBytes: number;
  /** Before: with the markers of the jobs since the last reading. */
  withMarkersBytes: number;
  /** Dedupe markers dropped. */
  markers: number;
  workerRssBytes: number;
  seconds: number;
  /** Times of the sequential searches made here, ms; empty when search failed. */
  searchMs: number[];
}

/** One `GET` answered whole: its status, body and time in ms. */
function timedGet(
  agent: ReturnType<typeof keepAliveAgent>,
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    get(url, { agent, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }),
      );
      res.on('error', reject);
    })
      .on('timeout', function (this: { destroy(error: Error): void }) {
        this.destroy(new Error(`no answer from ${url} within 10 s`));
      })
      .on('error', reject);
  });
}

async function usedMemory(ctx: BenchContext): Promise<number> {
  return Number(parseInfo(await ctx.client.info('memory')).get('used_memory') ?? Number.NaN);
}

/**
 * Figure 5, and issue 16's search figure: memory under the catalog's retention, with tenants and
 * the search index. `jobs` Slack events go through the real API (`POST .../jobs/bulk`, so each
 * job gets its tenant, from the `team_id`, and its search keys) and the real worker (at high
 * concurrency) with the `slack-events` job options, so completed jobs are trimmed to the newest
 * 1,000. Their workspaces cycle over `tenants` teams. The bench keeps at most `backlog` jobs
 * waiting, so the figures are about retention, not about a backlog. At the checkpoint and at the
 * end it lets the queue drain and reads Redis `used_memory` and the worker's RSS: bounded means
 * the end is not meaningfully above the checkpoint. Search: ten jobs of one team are enqueued
 * first, delayed past the run (so retention keeps them); `GET /v1/search?key=team_id` for that
 * team is asked `searchRatePerSecond` times a second while the jobs go through, and
 * `searchQueries` times in a row at the checkpoint and at the end, every answer checked to hold
 * the ten jobs.
 */
export async function measureRetentionMemory(ctx: BenchContext): Promise<Figure[]> {
  const { jobs, concurrency, backlog, checkpoint, tenants, searchQueries, searchRatePerSecond } =
    ctx.options.memory;
  await ctx.client.flushall();
  const connection = bullConnection(ctx);
  const queue = new Queue(QUEUE, {
    connection,
    prefix: 'conveyor',
    defaultJobOptions: QUEUE_CATALOG[QUEUE].defaultJobOptions,
  });
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
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
  const team = (index: number) => `T${String(index % tenants).padStart(6, '0')}`;
  const envelope = (index: number) =>
    benchEventEnvelope(`Ev${runId}M${index}`, {
      teamId: team(index),
      channel: `C${String(index % 1000).padStart(5, '0')}`,
      user: `U${String(index % 10_000).padStart(6, '0')}`,
    });
  const headers = { authorization: api.authorization };
  const agent = keepAliveAgent(2);
  const bulkUrl = new URL(`${api.url}/v1/queues/${QUEUE}/jobs/bulk`);
  const markedTeam = `TMARK${runId.toUpperCase()}`;
  const searchUrl = new URL(`${api.url}/v1/search?key=team_id&value=${markedTeam}`);
  let searchError: Error | undefined;
  const search = async () => {
    const answer = await timedGet(agent, searchUrl, headers);
    if (answer.status !== 200) {
      throw new Error(`GET /v1/search answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    const found = (JSON.parse(answer.body) as { jobs?: unknown[] }).jobs?.length;
    if (found !== MARKED_JOBS) {
      throw new Error(`GET /v1/search found ${found} jobs, expected ${MARKED_JOBS}`);
    }
    return answer.ms;
  };
  const searchInARow = async (count: number) => {
    if (searchError) return [];
    const times: number[] = [];
    try {
      for (let i = 0; i < count; i++) times.push(await search());
    } catch (error) {
      searchError ??= error as Error;
    }
    return times;
  };
  const loadedSearchMs: number[] = [];
  /** Searches during the flow that failed (an answer other than the ten jobs), and the first. */
  const loadedFailures = { count: 0, first: '' };
  let sampler: NodeJS.Timeout | undefined;
  try {
    await waitForConsumer(
      queue,
      { name: BENCH_EVENT_TYPE, data: benchEventEnvelope(`Ev${runId}P`) },
      worker,
    );
    await postBulk(
      agent,
      bulkUrl,
      headers,
      1,
      1,
      () =>
        JSON.stringify({
          jobs: Array.from({ length: MARKED_JOBS }, (_, i) => ({
            data: benchEventEnvelope(`Ev${runId}K${i}`, { teamId: markedTeam }),
            options: { delay: MARKED_DELAY_MS },
          })),
        }),
      FILL_RETRIES,
    );
    await searchInARow(Math.min(searchQueries, 50)); // warm-up
    const started = performance.now();
    const points: MemoryPoint[] = [];
    const measure = async (processed: number) => {
      await waitUntilDrained(queue, {
        timeoutMs: 120_000,
        intervalMs: 20,
        worker,
        states: FLOWING,
      });
      await settleRedis(ctx.client);
      const withMarkersBytes = await usedMemory(ctx);
      let markers = 0;
      for (const pattern of DEDUPE_MARKERS) markers += await dropKeys(ctx.client, pattern);
      await settleRedis(ctx.client);
      const point: MemoryPoint = {
        processed,
        withMarkersBytes,
        markers,
        usedMemoryBytes: await usedMemory(ctx),
        workerRssBytes: processRss(worker.pid),
        seconds: round((performance.now() - started) / 1000, 1),
        searchMs: processed === 0 ? [] : await searchInARow(searchQueries),
      };
      points.push(point);
      ctx.log(
        `  ${processed.toLocaleString('en-US')} jobs: used_memory ${round(point.usedMemoryBytes / MIB, 1)} MiB ` +
          `(${round(point.withMarkersBytes / MIB, 1)} with ${point.markers} dedupe markers), ` +
          `worker RSS ${round(point.workerRssBytes / MIB, 1)} MiB, ${point.seconds} s` +
          (point.searchMs.length > 0
            ? `, search p99 ${round(percentile(point.searchMs, 99), 2)} ms`
            : ''),
      );
      return point;
    };
    await measure(0);
    // Searches while the jobs go through, at a steady rate; one at a time.
    let searching = false;
    const startSampler = () => {
      sampler = setInterval(() => {
        if (searching || searchError) return;
        searching = true;
        search()
          .then(
            (ms) => loadedSearchMs.push(ms),
            // Counted and reported: under this load a 503 tells of the machine as much as of
            // the search; the searches in a row at the checkpoints are the judged ones.
            (error: Error) => {
              loadedFailures.count += 1;
              loadedFailures.first ||= error.message;
            },
          )
          .finally(() => {
            searching = false;
          });
      }, 1000 / searchRatePerSecond);
    };
    startSampler();
    const marks = new Set([checkpoint, Math.round(jobs / 2), jobs]);
    let added = 0;
    while (added < jobs) {
      if (performance.now() - started > RUN_TIMEOUT_MS) {
        throw new Error(`only ${added} of ${jobs} jobs enqueued after ${RUN_TIMEOUT_MS} ms`);
      }
      if (!worker.running) throw new Error(`${worker.name} exited:\n${worker.logTail()}`);
      if ((await unfinishedCount(queue, FLOWING)) > backlog) {
        await sleep(20);
        continue;
      }
      const size = Math.min(BATCH, jobs - added);
      const from = added;
      await postBulk(
        agent,
        bulkUrl,
        headers,
        1,
        1,
        () =>
          JSON.stringify({
            jobs: Array.from({ length: size }, (_, offset) => ({ data: envelope(from + offset) })),
          }),
        FILL_RETRIES,
      );
      added += size;
      if (marks.has(added)) {
        clearInterval(sampler);
        await measure(added);
        startSampler();
      }
    }
    clearInterval(sampler);
    const failed = await queue.getFailedCount();
    if (failed > 0) throw new Error(`${failed} jobs failed`);
    const atCheckpoint = points.find((point) => point.processed === checkpoint) ?? points[1];
    const final = points.at(-1);
    if (atCheckpoint === undefined || final === undefined) throw new Error('no memory points');
    const totalSeconds = (performance.now() - started) / 1000;
    const notes =
      `${jobs.toLocaleString('en-US')} "${BENCH_EVENT_TYPE}" jobs with the slack-events job options ` +
      `(removeOnComplete ${JSON.stringify(QUEUE_CATALOG[QUEUE].defaultJobOptions.removeOnComplete)}), ` +
      `from ${tenants.toLocaleString('en-US')} Slack workspaces (tenants) in turn, enqueued through POST ` +
      `/v1/queues/${QUEUE}/jobs/bulk (${BATCH} a request) at most ${backlog} ahead, real worker at ` +
      `concurrency ${concurrency}; ${round(jobs / totalSeconds)} jobs/s over ${round(totalSeconds)} s. ` +
      `Read after the queue drained, baseline = the same reading after ${checkpoint.toLocaleString('en-US')} ` +
      'jobs. Each Slack event leaves two 24-hour deduplication markers (by event_id), which no ' +
      'retention can trim: at each reading they are dropped (UNLINK) and used_memory read again; the ' +
      'judged figure is that second reading. Points (jobs: used_memory MiB / with the markers of the ' +
      'jobs since the last reading MiB (markers) / RSS MiB): ' +
      points
        .map(
          (p) =>
            `${p.processed}: ${round(p.usedMemoryBytes / MIB, 1)} / ${round(p.withMarkersBytes / MIB, 1)} ` +
            `(${p.markers}) / ${round(p.workerRssBytes / MIB, 1)}`,
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
    const sinceCheckpoint = jobs - checkpoint;
    const markerBytes = final.withMarkersBytes - final.usedMemoryBytes;
    const figures: Figure[] = [
      flat('redis-used-memory', 'Redis used_memory', (point) => point.usedMemoryBytes, 1.25),
      flat('worker-rss', 'Worker RSS', (point) => point.workerRssBytes, 1.5),
      {
        id: 'redis-dedupe-markers',
        label: `Redis used_memory with the dedupe markers of the last ${sinceCheckpoint.toLocaleString('en-US')} jobs (MiB)`,
        conveyor: final.withMarkersBytes / MIB,
        baseline: final.usedMemoryBytes / MIB,
        ratio: final.withMarkersBytes / final.usedMemoryBytes,
        target: 'report',
        pass: null,
        digits: 1,
        samples: {
          conveyor: points.map((point) => round(point.withMarkersBytes / MIB, 2)),
          baseline: points.map((point) => round(point.usedMemoryBytes / MIB, 2)),
        },
        notes:
          `${final.markers} markers, ${round(markerBytes / Math.max(final.markers, 1))} bytes each: the ` +
          '24-hour Slack event deduplication grows with the jobs of the last day, by design; as above.',
      },
    ];
    if (searchError) {
      figures.push(failedFigure('search-p99', searchError));
      return figures;
    }
    const p99 = (times: number[]) => round(percentile(times, 99), 2);
    const endP99 = p99(final.searchMs);
    const searchNotes =
      `GET /v1/search?key=team_id&value=<a team with ${MARKED_JOBS} jobs> through the real API (one ` +
      'keep-alive connection, one request at a time; every answer checked to list the ten jobs), ' +
      `during the run above: the ${MARKED_JOBS} jobs were enqueued first, delayed past the run so that ` +
      `retention keeps them. ${searchQueries} searches in a row once the queue drained after ` +
      `${checkpoint.toLocaleString('en-US')} jobs (baseline) and after ${jobs.toLocaleString('en-US')} ` +
      `(Conveyor), from the start of the request to the end of the answer. While the jobs went through ` +
      `(${searchRatePerSecond} searches/s, ${loadedSearchMs.length} in all): p50 ` +
      `${round(median(loadedSearchMs), 2)} ms, p99 ${p99(loadedSearchMs)} ms, max ` +
      `${round(Math.max(...loadedSearchMs), 2)} ms (the API, the worker, Redis and the bench share 2 cores)` +
      (loadedFailures.count > 0
        ? `, ${loadedFailures.count} failed (first: ${loadedFailures.first.slice(0, 200)}). `
        : ', none failed. ') +
      `p50 at the checkpoint ${round(median(atCheckpoint.searchMs), 2)} ms, at the end ` +
      `${round(median(final.searchMs), 2)} ms.`;
    figures.push({
      id: 'search-p99',
      label: `Search p99, a key with ${MARKED_JOBS} matches, after ${jobs.toLocaleString('en-US')} jobs (ms)`,
      conveyor: endP99,
      baseline: p99(atCheckpoint.searchMs),
      ratio: endP99 / p99(atCheckpoint.searchMs),
      target: `<= ${MAX_SEARCH_P99_MS} ms`,
      pass: endP99 <= MAX_SEARCH_P99_MS,
      digits: 2,
      samples: {
        conveyor: points
          .filter((point) => point.searchMs.length > 0)
          .map((point) => p99(point.searchMs)),
        baseline: [p99(atCheckpoint.searchMs)],
      },
      notes: searchNotes,
    });
    return figures;
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await queue.close();
    await Promise.all([stopApi(), stopWorker()]);
  }
}

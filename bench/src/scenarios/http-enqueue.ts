import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { BASELINE_PREFIX, startBaselineHttp } from '../processes/baseline-processes.js';
import { startConveyorApi } from '../processes/conveyor-api.js';
import { type Figure, ratioFigure } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { emptyQueue } from '../support/empty-queue.js';
import { ingestionPayload } from '../support/payloads.js';
import { median, round } from '../support/stats.js';

export const QUEUE = 'ingestion';
/** The route every HTTP enqueue figure loads. */
export const ENQUEUE_PATH = `/v1/queues/${QUEUE}/jobs`;
const PATH = ENQUEUE_PATH;

export interface CannonSample {
  /** 2xx answers per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** POSTs `body` to the enqueue route on `connections` connections for `seconds`. */
export async function cannon(
  url: string,
  headers: Record<string, string>,
  body: string,
  connections: number,
  seconds: number,
): Promise<CannonSample> {
  const result = await autocannon({
    url: `${url}${PATH}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration: seconds,
  });
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Fails loudly when a server does not take the job: measuring 4xx answers would be worthless. */
export async function expectAccepted(url: string, headers: Record<string, string>, body: string) {
  const response = await fetch(`${url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  if (response.status !== 202) {
    throw new Error(`${url}${PATH} answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * Figure 1: HTTP enqueue at a fixed number of connections. The real API (auth, rate limit,
 * validation, logs, metrics) against the minimal Express server, both storing the same job in
 * the same Redis. The queue is emptied between rounds, outside the measurement.
 */
export async function measureHttpEnqueue(ctx: BenchContext): Promise<Figure[]> {
  const { connections, warmupSeconds, seconds } = ctx.options.http;
  await ctx.client.flushall();
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
    ...(ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {}),
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
  const baseline = await startBaselineHttp(ctx.redis.url, ctx.dir);
  const stopBaseline = ctx.cleanup.add('baseline-http', () => baseline.process.stop());
  const connection = bullConnection(ctx);
  const conveyorQueue = new Queue(QUEUE, { connection, prefix: 'conveyor' });
  const baselineQueue = new Queue(QUEUE, { connection, prefix: BASELINE_PREFIX });
  try {
    const body = JSON.stringify({ data: ingestionPayload(1) });
    const auth = { authorization: api.authorization };
    await expectAccepted(api.url, auth, body);
    await expectAccepted(baseline.url, {}, body);
    if (warmupSeconds > 0) {
      ctx.log(`  warm-up ${warmupSeconds} s each`);
      await cannon(api.url, auth, body, connections, warmupSeconds);
      await cannon(baseline.url, {}, body, connections, warmupSeconds);
    }
    const describe = (s: CannonSample) =>
      `${round(s.rps)} req/s, p99 ${s.p99Ms} ms${s.failures ? `, ${s.failures} FAILED` : ''}`;
    const samples = await alternate(
      ctx.options.rounds,
      {
        label: 'conveyor',
        run: () => cannon(api.url, auth, body, connections, seconds),
        reset: async () => {
          await emptyQueue(ctx.client, conveyorQueue);
        },
      },
      {
        label: 'baseline',
        run: () => cannon(baseline.url, {}, body, connections, seconds),
        reset: async () => {
          await emptyQueue(ctx.client, baselineQueue);
        },
      },
      ctx.log,
      describe,
    );
    const failures = [...samples.conveyor, ...samples.baseline].reduce(
      (sum, s) => sum + s.failures,
      0,
    );
    const figure = ratioFigure({
      id: 'http-enqueue',
      label: `HTTP enqueue, ${connections} connections (req/s)`,
      conveyor: median(samples.conveyor.map((s) => s.rps)),
      baseline: median(samples.baseline.map((s) => s.rps)),
      minRatio: 1.5,
      samples: {
        conveyor: samples.conveyor.map((s) => round(s.rps)),
        baseline: samples.baseline.map((s) => round(s.rps)),
      },
      notes:
        `autocannon, ${connections} connections, ${seconds} s per round after ${warmupSeconds} s of warm-up, ` +
        `POST ${PATH} with a ${Buffer.byteLength(body)}-byte body; 2xx answers per second. ` +
        `p99 latency ms: Conveyor ${samples.conveyor.map((s) => s.p99Ms).join('/')}, ` +
        `baseline ${samples.baseline.map((s) => s.p99Ms).join('/')}.`,
    });
    if (failures > 0) {
      figure.pass = false;
      figure.notes += ` ${failures} requests failed (non-2xx, errors or timeouts).`;
    }
    return [figure];
  } finally {
    await Promise.all([conveyorQueue.close(), baselineQueue.close()]);
    await Promise.all([stopApi(), stopBaseline()]);
  }
}

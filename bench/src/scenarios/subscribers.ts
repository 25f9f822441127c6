import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { type BenchContext, bullConnection } from '../bench-context.js';
import { startConveyorApi } from '../processes/conveyor-api.js';
import { type Figure, ratioFigure } from '../report/figure.js';
import { alternate } from '../support/alternate.js';
import { emptyQueue } from '../support/empty-queue.js';
import { BENCH_EVENT_TYPE, benchEventEnvelope, ingestionPayload } from '../support/payloads.js';
import { processRss } from '../support/process-rss.js';
import { settleRedis } from '../support/settle-redis.js';
import { median, round } from '../support/stats.js';
import { type CannonSample, cannon, ENQUEUE_PATH, expectAccepted } from './http-enqueue.js';

/** Queue the waited-on jobs live in: not the one loaded, so emptying that one spares them. */
const WAITED_QUEUE = 'slack-events';
/**
 * Requests opened every 100 ms while setting up: clients that arrive spread out, not all at once
 * (10,000 requests in a few seconds on this 2-core machine outlast the API's 1.5 s read bound).
 */
const OPEN_BATCH = 100;

interface Sample extends CannonSample {
  /** API RSS in MiB in the middle of the round. */
  rssMiB: number;
  /** Waits answered with `completed` once their jobs ran, out of those opened. */
  answered?: number;
  /** Streams that got their job's `completed` event and ended. */
  streamsEnded?: number;
  /** Waits and streams asked again during the measured round (a wait ended, or a 503). */
  reasked?: number;
  /** Seconds from the first wait sent to the last one held by the API. */
  openedSeconds?: number;
}

/** An HTTP GET whose answer is read whole; resolves with its status and body, or undefined. */
function longRequest(url: string, authorization: string) {
  let body = '';
  const req = request(url, { agent: false, headers: { authorization } });
  const done = new Promise<{ status: number; body: string } | undefined>((resolve) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
  });
  req.end();
  return { done, destroy: () => req.destroy() };
}

/**
 * A client that holds a long request until `isFinal` says its answer is the one it waited for,
 * asking again (as a real long-poll or EventSource client does) when the answer is not: a wait
 * that ended (`waitMs`), or a 503 (after its `Retry-After`). Resolves true once the answer came,
 * false when stopped first.
 */
function heldRequest(url: string, authorization: string, isFinal: (body: string) => boolean) {
  let stopped = false;
  let asks = 0;
  let current: ReturnType<typeof longRequest> | undefined;
  const done = (async () => {
    while (!stopped) {
      asks += 1;
      current = longRequest(url, authorization);
      const answer = await current.done;
      if (answer?.status === 200 && isFinal(answer.body)) return true;
      // Retry-After is 1 s; spread the retries so they do not come back as one burst.
      if (answer?.status !== 200) await sleep(1000 + Math.random() * 1000);
    }
    return false;
  })();
  return {
    done,
    /** Requests sent so far (the first and every re-ask). */
    asks: () => asks,
    stop: () => {
      stopped = true;
      current?.destroy();
    },
  };
}

/** Waits and streams the API holds now, from its `/metrics`. */
async function heldNow(url: string): Promise<{ wait: number; stream: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const held = (kind: string) =>
    Number(
      new RegExp(`^conveyor_api_event_subscribers\\{kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  return { wait: held('wait'), stream: held('stream') };
}

/** Polls `/metrics` until the API holds `wait` waits and `stream` streams. */
async function untilHeld(url: string, wait: number, stream: number): Promise<void> {
  const deadline = performance.now() + 300_000;
  for (;;) {
    const held = await heldNow(url);
    if (held.wait === wait && held.stream === stream) return;
    if (performance.now() > deadline) {
      throw new Error(`the API holds ${held.wait} waits and ${held.stream} streams`);
    }
    await sleep(200);
  }
}

/**
 * Waits until the API holds all but `slack` of the `sent` requests: opening at the pace the API
 * takes them in, not faster. On a loaded machine the API took 11,000 of them in 35 s where the
 * fixed pace sent them in 10; the backlog then outlasted the first waits' 60 s, which ended and
 * were asked again while the round had not even started.
 */
async function untilCaughtUp(url: string, sent: number, slack: number): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const held = await heldNow(url);
    if (held.wait + held.stream >= sent - slack) return;
    if (performance.now() > deadline) {
      throw new Error(`the API took ${held.wait + held.stream} of ${sent} requests in 2 minutes`);
    }
    await sleep(50);
  }
}

/**
 * Issue 15's figure: HTTP enqueue throughput of one API process while it holds 10,000 `waitMs`
 * waits and 1,000 event streams, against the same process holding none; the process's RSS is
 * read in the middle of each round. After each loaded round a worker runs the waited-on jobs:
 * every wait must answer `completed` and every stream end with its `completed` event.
 */
export async function measureSubscribers(ctx: BenchContext): Promise<Figure[]> {
  const { waiters, streams, connections, seconds } = ctx.options.subscribers;
  await ctx.client.flushall();
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
    ...(ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {}),
    env: {
      API_PROCESSES: '1',
      MAX_WAITERS: String(waiters),
      MAX_EVENT_STREAMS: String(streams),
    },
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
  const connection = bullConnection(ctx);
  const loaded = new Queue('ingestion', { connection, prefix: 'conveyor' });
  const waited = new Queue(WAITED_QUEUE, { connection, prefix: 'conveyor' });
  const auth = { authorization: api.authorization };
  const body = JSON.stringify({ data: ingestionPayload(1) });
  const rssMiB = () => processRss(api.process.pid) / 1024 / 1024;

  const measure = async (round: () => Promise<CannonSample>): Promise<Sample> => {
    let rss = 0;
    const probe = setTimeout(
      () => {
        rss = rssMiB();
      },
      (seconds * 1000) / 2,
    );
    try {
      return { ...(await round()), rssMiB: rss };
    } finally {
      clearTimeout(probe);
    }
  };

  try {
    await expectAccepted(api.url, auth, body);
    const idleRssMiB = rssMiB();
    const describe = (s: Sample) =>
      `${round(s.rps)} req/s, RSS ${round(s.rssMiB)} MiB` +
      (s.answered === undefined ? '' : `, ${s.answered}/${waiters} waits answered`) +
      (s.streamsEnded === undefined ? '' : `, ${s.streamsEnded}/${streams} streams ended`) +
      (s.reasked === undefined ? '' : `, ${s.reasked} re-asked in the round`) +
      (s.openedSeconds === undefined ? '' : `, all held after ${round(s.openedSeconds, 1)} s`) +
      (s.failures ? `, ${s.failures} FAILED` : '');
    const samples = await alternate<Sample>(
      ctx.options.rounds,
      {
        label: `with ${waiters} waits + ${streams} streams`,
        run: async (roundNumber) => {
          const jobs = await waited.addBulk(
            Array.from({ length: waiters }, (_, i) => ({
              name: BENCH_EVENT_TYPE,
              data: benchEventEnvelope(`sub-${roundNumber}-${i}`),
            })),
          );
          const url = (id: string | undefined) => `${api.url}/v1/queues/${WAITED_QUEUE}/jobs/${id}`;
          const isCompleted = (text: string) => text.includes('"state":"completed"');
          const hasCompleted = (text: string) => text.includes('event: completed');
          const waits: ReturnType<typeof heldRequest>[] = [];
          const held: ReturnType<typeof heldRequest>[] = [];
          const openStarted = performance.now();
          for (let i = 0; i < jobs.length; i += OPEN_BATCH) {
            jobs.slice(i, i + OPEN_BATCH).forEach((job, j) => {
              waits.push(
                heldRequest(`${url(job.id)}?waitMs=60000`, api.authorization, isCompleted),
              );
              if (i + j < streams) {
                held.push(heldRequest(`${url(job.id)}/events`, api.authorization, hasCompleted));
              }
            });
            // Paced so that the API's listen backlog never overflows, and no faster than the
            // API takes them in.
            await sleep(100);
            await untilCaughtUp(api.url, waits.length + held.length, 2 * OPEN_BATCH);
          }
          await untilHeld(api.url, waiters, streams);
          const openedSeconds = (performance.now() - openStarted) / 1000;
          const asks = () => [...waits, ...held].reduce((sum, r) => sum + r.asks(), 0);
          const asksBefore = asks();
          const sample = await measure(() => cannon(api.url, auth, body, connections, seconds));
          sample.reasked = asks() - asksBefore;
          sample.openedSeconds = openedSeconds;
          // Every wait and stream must now be answered by its job's completion.
          const worker = new Worker(WAITED_QUEUE, async () => 'done', {
            connection,
            prefix: 'conveyor',
            concurrency: 100,
          });
          // Unanswered after two minutes counts as unanswered, not as a hung bench.
          const giveUp = setTimeout(() => {
            for (const r of [...waits, ...held]) r.stop();
          }, 120_000);
          try {
            const answers = await Promise.all(waits.map((wait) => wait.done));
            const streamed = await Promise.all(held.map((stream) => stream.done));
            sample.answered = answers.filter(Boolean).length;
            sample.streamsEnded = streamed.filter(Boolean).length;
          } finally {
            clearTimeout(giveUp);
            await worker.close();
            for (const r of [...waits, ...held]) r.stop();
          }
          return sample;
        },
        reset: async () => {
          await emptyQueue(ctx.client, loaded, waited);
        },
      },
      {
        label: 'without',
        run: () => measure(() => cannon(api.url, auth, body, connections, seconds)),
        reset: async () => {
          await loaded.obliterate({ force: true });
          await settleRedis(ctx.client);
        },
      },
      ctx.log,
      describe,
    );
    const unanswered = samples.conveyor.reduce(
      (sum, s) => sum + (waiters - (s.answered ?? 0)) + (streams - (s.streamsEnded ?? 0)),
      0,
    );
    const failures = [...samples.conveyor, ...samples.baseline].reduce(
      (sum, s) => sum + s.failures,
      0,
    );
    const notes =
      `One API process (API_PROCESSES=1); autocannon, ${connections} connections, ${seconds} s per round, ` +
      `POST ${ENQUEUE_PATH}. Loaded side: ${waiters} GET .../jobs/:id?waitMs=60000 and ${streams} ` +
      `GET .../jobs/:id/events held open on ${WAITED_QUEUE} jobs during the round; afterwards a ` +
      `worker runs those jobs and every wait must answer "completed", every stream end with its ` +
      `"completed" event. Requests re-asked during the loaded rounds (a wait that ended, or a 503): ` +
      `${samples.conveyor.map((s) => s.reasked ?? 0).join('/')}; seconds until all were held (sent ${OPEN_BATCH} ` +
      `every 100 ms at most, no faster than the API took them in): ` +
      `${samples.conveyor.map((s) => round(s.openedSeconds ?? 0, 1)).join('/')}. API RSS at start ${round(idleRssMiB)} MiB; in mid-round: loaded ${samples.conveyor.map((s) => round(s.rssMiB)).join('/')}, ` +
      `unloaded ${samples.baseline.map((s) => round(s.rssMiB)).join('/')} (the same process: an ` +
      `unloaded round after a loaded one keeps the heap the loaded one grew until V8 gives it back).`;
    const throughput = ratioFigure({
      id: 'subscribers-enqueue',
      label: `HTTP enqueue with ${waiters} waits + ${streams} streams vs none, one process (req/s)`,
      conveyor: median(samples.conveyor.map((s) => s.rps)),
      baseline: median(samples.baseline.map((s) => s.rps)),
      minRatio: 0.9,
      samples: {
        conveyor: samples.conveyor.map((s) => round(s.rps)),
        baseline: samples.baseline.map((s) => round(s.rps)),
      },
      notes,
    });
    if (failures > 0 || unanswered > 0) {
      throughput.pass = false;
      throughput.notes += ` ${failures} enqueues failed; ${unanswered} waits or streams not answered.`;
    }
    const rss = median(samples.conveyor.map((s) => s.rssMiB));
    const rssBase = median(samples.baseline.map((s) => s.rssMiB));
    const memory: Figure = {
      id: 'subscribers-rss',
      label: `API RSS with ${waiters} waits + ${streams} streams (MiB)`,
      conveyor: rss,
      baseline: rssBase,
      ratio: rss / rssBase,
      target: 'report',
      pass: null,
      digits: 1,
      samples: {
        conveyor: samples.conveyor.map((s) => round(s.rssMiB)),
        baseline: samples.baseline.map((s) => round(s.rssMiB)),
      },
      notes: 'as above',
    };
    return [throughput, memory];
  } finally {
    await Promise.all([loaded.close(), waited.close()]);
    await stopApi();
  }
}

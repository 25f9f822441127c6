import { FakeSlack, promtoolCheckMetrics, RedisServer, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/support/api-client.js';
import { type ApiHandle, Deployment, type WorkerHandle } from '../src/support/deployment.js';
import { Figures } from '../src/support/figures.js';
import { request } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { parseMetrics, type Sample, sumBy } from '../src/support/metrics.js';
import { appMention, inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

const QUEUES = ['ingestion', 'slack-events'] as const;

/** Replies the fake Slack holds this long: their jobs stay active while the suite scrapes. */
const HELD_REPLY_MS = 110_000;
/** The exporter lease of the APIs: short, so that the handover is seen within the test. */
const LEASE_MS = 3000;

/** What one scrape of every target read, beside what Redis held before and after it. */
interface Reading {
  /** `/metrics` of each API and each worker, in that order. */
  texts: string[];
  samples: Sample[];
  /** Redis's `getJobCounts()` per `queue/state`, and dead letters per queue, read by the suite. */
  redis: Record<string, number>;
  deadLetters: Record<string, number>;
  /** True when Redis held the same counts before and after the scrape. */
  stable: boolean;
}

describe('metrics of a fleet (2 APIs + 2 workers) scraped as Prometheus scrapes it', () => {
  const secrets = createSecrets();
  const figures = new Figures('fleet-metrics');
  let redis: RedisServer;
  let slack: FakeSlack;
  let deployment: Deployment;
  let probe: QueueProbe;
  let apis: ApiHandle[];
  let workers: WorkerHandle[];

  beforeAll(async () => {
    redis = await RedisServer.start();
    slack = await FakeSlack.start({ postLatencyMs: HELD_REPLY_MS });
    const topology = standalone(redis);
    deployment = new Deployment({
      scenario: 'fleet-metrics',
      topology,
      secrets,
      apiEnv: { METRICS_EXPORTER_LEASE_MS: String(LEASE_MS) },
      workerEnv: {
        SLACK_API_URL: slack.apiUrl,
        SLACK_TIMEOUT_MS: '120000',
        // Ingestion jobs stay where the suite puts them: waiting, prioritized, delayed.
        WORKER_QUEUES: 'slack-events',
      },
    });
    probe = new QueueProbe(topology);
    const started = await Promise.all([
      deployment.startApi(),
      deployment.startApi(),
      deployment.startWorker(),
      deployment.startWorker(),
    ]);
    apis = started.slice(0, 2) as ApiHandle[];
    workers = started.slice(2) as WorkerHandle[];
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await slack?.stop();
    await redis?.stop();
  });

  async function redisCounts(): Promise<Pick<Reading, 'redis' | 'deadLetters'>> {
    const counted: Record<string, number> = {};
    const deadLetters: Record<string, number> = {};
    for (const queue of QUEUES) {
      // Jobs waiting their tenant's turn are BullMQ's prioritized; the API reports them waiting.
      const { prioritized = 0, ...counts } = await probe.counts(queue);
      for (const [state, count] of Object.entries(counts)) {
        counted[`${queue}/${state}`] = count + (state === 'waiting' ? prioritized : 0);
      }
      deadLetters[queue] = await probe.deadLetters(queue);
    }
    return { redis: counted, deadLetters };
  }

  async function scrape(targets = apis): Promise<Reading> {
    const before = await redisCounts();
    const answers = await Promise.all(
      [...targets.map((api) => api.url), ...workers.map((worker) => worker.healthUrl)].map((base) =>
        request(`${base}/metrics`, { timeoutMs: 10_000 }),
      ),
    );
    const after = await redisCounts();
    for (const answer of answers) expect(answer.status).toBe(200);
    const texts = answers.map((answer) => answer.text);
    return {
      texts,
      samples: texts.flatMap(parseMetrics),
      ...after,
      stable: JSON.stringify(before) === JSON.stringify(after),
    };
  }

  it('sum by (queue, state) over every target equals what Redis holds, dead letters included', async () => {
    const client = new ApiClient(apis[0]!.url, secrets.apiToken, secrets.slackSigningSecret);
    const accepted = (status: number) => expect(status).toBe(202);
    for (let index = 0; index < 3; index++) {
      accepted((await client.enqueue('ingestion', inlineDocument(`waiting-${index}`))).status);
    }
    for (let index = 0; index < 2; index++) {
      const data = inlineDocument(`prioritized-${index}`);
      accepted((await client.enqueue('ingestion', data, { job: { priority: 5 } })).status);
      const later = inlineDocument(`delayed-${index}`);
      accepted((await client.enqueue('ingestion', later, { job: { delay: 3_600_000 } })).status);
    }
    const mention = (id: string, index: number) => appMention(`Ev${id}${index}`, index);
    const answers = [];
    for (let index = 0; index < 3; index++) {
      // An event type no handler takes: completes as ignored.
      const ignored = mention('IGNORED', index);
      answers.push(
        await client.slackEvent({
          ...ignored,
          event: { ...ignored.event, type: 'reaction_added' },
        }),
      );
    }
    for (let index = 0; index < 2; index++) {
      // No channel to reply in: invalid data, failed for good and dead-lettered at once.
      const { channel: _, ...event } = mention('NOCHANNEL', index).event;
      answers.push(await client.slackEvent({ ...mention('NOCHANNEL', index), event }));
      // A reply the fake Slack holds: the job stays active.
      answers.push(await client.slackEvent(mention('HELD', index)));
    }
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));

    await waitFor(
      async () => {
        const { redis: counts, deadLetters } = await redisCounts();
        return (
          counts['slack-events/completed'] === 3 &&
          counts['slack-events/failed'] === 2 &&
          counts['slack-events/active'] === 2 &&
          deadLetters['slack-events'] === 2
        );
      },
      { timeoutMs: 30_000, description: 'jobs completed, failed, dead-lettered and held active' },
    );

    // Jobs move while the suite reads: compare a scrape taken while Redis stood still.
    let reading: Reading | undefined;
    await waitFor(
      async () => {
        reading = await scrape();
        return reading.stable;
      },
      { timeoutMs: 30_000, description: 'a scrape while Redis held still' },
    );
    const { samples, redis: counts, deadLetters, texts } = reading as Reading;
    for (const [key, count] of Object.entries({
      'ingestion/waiting': 5,
      'ingestion/delayed': 2,
      'slack-events/active': 2,
      'slack-events/completed': 3,
      'slack-events/failed': 2,
    })) {
      expect({ key, count: counts[key] }).toEqual({ key, count });
    }

    // What a user writes: sum by (queue, state) (conveyor_queue_jobs), over every target.
    expect(sumBy(samples, 'conveyor_queue_jobs', ['queue', 'state'])).toEqual(counts);
    expect(sumBy(samples, 'conveyor_dead_letter_jobs', ['queue'])).toEqual(deadLetters);
    expect(deadLetters).toEqual({ ingestion: 0, 'slack-events': 2 });
    expect(sumBy(samples, 'conveyor_queue_backlog', ['queue'])).toEqual({
      ingestion: 5,
      'slack-events': 0,
    });
    // Exported by exactly one target: one of the APIs, the holder of the exporter lease.
    const exporting = texts.map((text) => /^conveyor_queue_jobs\{/m.test(text));
    expect(exporting.slice(2)).toEqual([false, false]);
    expect(exporting.filter(Boolean)).toHaveLength(1);
    const holder = exporting.indexOf(true);

    // Per-process counters stay per worker, and their sum is the fleet's.
    expect(sumBy(samples, 'conveyor_jobs_completed_total', ['queue'])).toEqual({
      'slack-events': 3,
    });
    expect(
      sumBy(
        samples.filter((sample) => sample.labels.final === 'true'),
        'conveyor_jobs_failed_total',
        ['queue'],
      ),
    ).toEqual({ 'slack-events': 2 });
    expect(sumBy(samples, 'conveyor_dead_letters_total', ['queue'])).toEqual({
      'slack-events': 2,
    });
    figures.set('targets scraped', texts.length);
    figures.set('series of conveyor_queue_jobs', Object.keys(counts).length);

    for (const text of texts) {
      expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
    }

    // The holder dies (no release): the other API exports once the lease has expired.
    const [dead, survivor] = holder === 0 ? [apis[0]!, apis[1]!] : [apis[1]!, apis[0]!];
    await dead.process.crash();
    const died = performance.now();
    let after: Reading | undefined;
    await waitFor(
      async () => {
        after = await scrape([survivor]);
        return after.stable && /^conveyor_queue_jobs\{/m.test(after.texts[0] ?? '');
      },
      { timeoutMs: 5 * LEASE_MS, intervalMs: 250, description: 'the other API to export' },
    );
    const handover = performance.now() - died;
    figures.set('handover seconds after the holder died', Math.round(handover / 100) / 10);
    const taken = after as Reading;
    expect(sumBy(taken.samples, 'conveyor_queue_jobs', ['queue', 'state'])).toEqual(taken.redis);
    expect(sumBy(taken.samples, 'conveyor_queue_backlog', ['queue'])).toEqual({
      ingestion: 5,
      'slack-events': 0,
    });
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

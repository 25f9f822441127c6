import {
  createTempDir,
  FakeSlack,
  type RedisClusterHandle,
  startRedisCluster,
  type TempDir,
  waitFor,
  withRedisClient,
} from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, acceptedIds } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures, secondsSince } from '../src/support/figures.js';
import { countFiles } from '../src/support/files.js';
import { mapConcurrent, request } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { parseMetrics, sumBy } from '../src/support/metrics.js';
import { appMention, inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { cluster } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

const EVENTS = 300;
const DOCUMENTS = 300;

describe('the unchanged apps on a 3-master Redis Cluster', () => {
  const secrets = createSecrets();
  const figures = new Figures('redis-cluster');
  let redisCluster: RedisClusterHandle;
  let slack: FakeSlack;
  let output: TempDir;
  let deployment: Deployment;
  let probe: QueueProbe;

  beforeAll(async () => {
    redisCluster = await startRedisCluster({ masters: 3, password: secrets.redisPassword });
    slack = await FakeSlack.start();
    output = await createTempDir('conveyor-reliability-cluster-');
    const topology = cluster(redisCluster);
    deployment = new Deployment({
      scenario: 'redis-cluster',
      topology,
      secrets,
      workerEnv: { SLACK_API_URL: slack.apiUrl, INGEST_OUTPUT_DIR: output.path },
    });
    probe = new QueueProbe(topology);
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await slack?.stop();
    await redisCluster?.stop();
    await output?.remove();
  });

  it('runs Slack and ingestion jobs end to end, configured by environment only', async () => {
    const api = await deployment.startApi();
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);
    expect((await client.get('/readyz')).status).toBe(200);
    const documents = Array.from({ length: DOCUMENTS }, (_, index) =>
      inlineDocument(`relcluster-${index}`),
    );
    const ids = acceptedIds(await client.enqueueBulk('ingestion', documents));
    expect(ids).toHaveLength(DOCUMENTS);
    // A prioritized job, and a delayed one that is due at once (no worker promotes it yet).
    for (const [name, job] of [
      ['prioritized', { priority: 2 }],
      ['due', { delay: 1 }],
    ] as const) {
      const answer = await client.enqueue('ingestion', inlineDocument(`relcluster-${name}`), {
        job,
      });
      expect(answer.status).toBe(202);
    }
    const backlog = DOCUMENTS + 2;
    // Every job waits its tenant's turn in BullMQ's prioritized set (fair scheduling).
    expect(await probe.counts('ingestion')).toMatchObject({
      waiting: 0,
      prioritized: DOCUMENTS + 1,
      delayed: 1,
    });
    // Before any worker runs, the API's backlog script reads the queue's keys (and its oldest
    // jobs' hashes) in the `{conveyor}` slot: through the endpoint KEDA polls, and the gauges.
    const polled = await client.get('/v1/queues/ingestion/backlog');
    expect(polled.status).toBe(200);
    expect(polled.json).toMatchObject({ queue: 'ingestion', backlog, paused: false });
    expect((polled.json as { oldestAgeSeconds: number }).oldestAgeSeconds).toBeGreaterThan(0);
    await probe.queue('ingestion').pause();
    expect((await client.get('/v1/queues/ingestion/backlog')).json).toEqual({
      queue: 'ingestion',
      backlog: 0,
      oldestAgeSeconds: 0,
      paused: true,
    });
    await probe.queue('ingestion').resume();
    const samples = parseMetrics((await request(`${api.url}/metrics`)).text);
    expect(sumBy(samples, 'conveyor_queue_backlog', ['queue'])).toEqual({
      ingestion: backlog,
      'slack-events': 0,
    });
    // The API counts jobs waiting their tenant's turn (BullMQ's prioritized) as waiting.
    expect(sumBy(samples, 'conveyor_queue_jobs', ['queue', 'state'])['ingestion/waiting']).toBe(
      DOCUMENTS + 1,
    );
    expect(
      sumBy(samples, 'conveyor_queue_oldest_age_seconds', ['queue']).ingestion,
    ).toBeGreaterThan(0);

    const workers = [await deployment.startWorker(), await deployment.startWorker()];
    for (const worker of workers)
      expect((await fetch(`${worker.healthUrl}/readyz`)).status).toBe(200);

    const started = performance.now();
    const eventIds = Array.from({ length: EVENTS }, (_, index) => `EvCLUSTER${index}`);
    const answers = await mapConcurrent(eventIds, 10, (id, index) =>
      client.slackEvent(appMention(id, index)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(eventIds.map(() => 200));
    // A Slack retry of a stored event is acknowledged without a second job.
    const retry = await client.slackEvent(appMention('EvCLUSTER0', 0));
    expect(retry.json).toMatchObject({ deduplicated: true });
    figures.set('jobs acknowledged', EVENTS + backlog);

    await waitFor(
      async () =>
        slack.missing(eventIds).length === 0 &&
        (await countFiles(output.path, '.jsonl', 'relcluster-')) === backlog &&
        (await probe.pending('slack-events')) + (await probe.pending('ingestion')) === 0,
      { description: 'every job to complete on the cluster', timeoutMs: 60_000, intervalMs: 250 },
    );
    figures.set('seconds to complete all', secondsSince(started));
    figures.set('jobs completed', slack.uniqueKeys + backlog);
    figures.set('duplicate side effects', slack.duplicates);
    expect(slack.duplicates).toBe(0);
    expect((await probe.counts('slack-events')).failed ?? 0).toBe(0);
    expect((await probe.counts('ingestion')).failed ?? 0).toBe(0);

    // Every key of every queue hashes to the `{conveyor}` slot: one master holds them all.
    const holders = await Promise.all(
      redisCluster.nodes.map((node) =>
        withRedisClient({ ...node, password: secrets.redisPassword }, async (redis) => {
          const [, keys] = await redis.scan('0', 'MATCH', '{conveyor}:*', 'COUNT', '100000');
          return keys.length;
        }),
      ),
    );
    figures.set('masters holding queue keys', holders.filter((count) => count > 0).length);
    expect(holders.filter((count) => count > 0)).toHaveLength(1);
    for (const process of [api.process, ...workers.map((worker) => worker.process)]) {
      expect(process.running, `${process.name} still runs`).toBe(true);
    }
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

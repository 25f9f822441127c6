import { RedisServer } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCorpus } from '../src/hostile/api-corpus.js';
import { type CaseOutcome, sendCase } from '../src/hostile/send-case.js';
import { workerCorpus } from '../src/hostile/worker-corpus.js';
import { ApiClient, acceptedId } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures } from '../src/support/figures.js';
import { mapConcurrent } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { mib, readMetric } from '../src/support/metrics.js';
import { inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

const QUEUES = ['ingestion', 'slack-events', 'ingestion-dead-letters', 'slack-events-dead-letters'];
/** Growth of the API's used heap the corpus may cause: its largest body is 18 MB. */
const HEAP_GROWTH_BOUND = 96 * 1024 * 1024;
/** An incomplete request (HTTP/0.9 line, short body) is waited on; an 18 MB one is cut off. */
const EXPECTED_UNANSWERED = /HTTP\/0\.9|body shorter than content-length|18 MB body/;

describe('hostile input against every route', () => {
  const secrets = createSecrets();
  const figures = new Figures('hostile-input');
  let redis: RedisServer;
  let deployment: Deployment;
  let probe: QueueProbe;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const topology = standalone(redis);
    deployment = new Deployment({
      scenario: 'hostile-input',
      topology,
      secrets,
      // The limiters stay on (their code runs for every request) without ever refusing one: the
      // corpus sends dozens of wrong secrets from one address on purpose.
      apiEnv: { RATE_LIMIT_PER_MINUTE: '100000000', AUTH_FAILURES_PER_MINUTE: '1000000' },
    });
    probe = new QueueProbe(topology);
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await redis?.stop();
  });

  /** Keys that exist only once a job was stored: id counters, dedupe markers, job hashes. */
  async function storedJobKeys(): Promise<string[]> {
    const keys = await probe.connection.keys(`${probe.prefix}:*`);
    return keys.filter(
      (key) =>
        !key.includes(':ratelimit:') &&
        /:(id|wait|paused|delayed|prioritized|\d+|j-[0-9a-f-]{36}|idem:.+|de:.+)$/.test(key),
    );
  }

  it('answers 4xx to everything, stores nothing, stays up with a bounded heap', async () => {
    const api = await deployment.startApi();
    const worker = await deployment.startWorker({ WORKER_QUEUES: 'slack-events' });
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);
    const metricsUrl = `${api.url}/metrics`;
    await mapConcurrent(Array.from({ length: 50 }), 8, () => client.get('/healthz'));
    const heapBefore = await readMetric(metricsUrl, 'nodejs_heap_size_used_bytes');
    const rssBefore = await readMetric(metricsUrl, 'process_resident_memory_bytes');

    const apiCases = apiCorpus({
      apiToken: secrets.apiToken,
      slackSigningSecret: secrets.slackSigningSecret,
    });
    const workerCases = workerCorpus();
    const started = performance.now();
    const outcomes: CaseOutcome[] = [
      ...(await mapConcurrent(apiCases, 16, (hostile) => sendCase(api.url, hostile))),
      ...(await mapConcurrent(workerCases, 16, (hostile) => sendCase(worker.healthUrl, hostile))),
    ];
    figures.set('requests fuzzed', outcomes.length);
    figures.set('requests fuzzed (API)', apiCases.length);
    figures.set('requests fuzzed (worker health server)', workerCases.length);
    figures.set('seconds', (performance.now() - started) / 1000);

    const statuses = new Map<number, number>();
    for (const outcome of outcomes) {
      for (const status of outcome.statuses) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    figures.set(
      'answers by status',
      [...statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}:${count}`)
        .join(' '),
    );
    const unanswered = outcomes.filter((outcome) => outcome.unanswered);
    figures.set('closed without an answer', unanswered.length);
    const serverErrors = outcomes.filter((outcome) =>
      outcome.statuses.some((status) => status >= 500),
    );
    figures.set('5xx answers', serverErrors.length);

    const heapAfter = await readMetric(metricsUrl, 'nodejs_heap_size_used_bytes');
    const rssAfter = await readMetric(metricsUrl, 'process_resident_memory_bytes');
    figures.set('API heap used before MiB', mib(heapBefore));
    figures.set('API heap used after MiB', mib(heapAfter));
    figures.set('API RSS before MiB', mib(rssBefore));
    figures.set('API RSS after MiB', mib(rssAfter));
    const stored = await storedJobKeys();
    figures.set('jobs stored', stored.length);

    expect(apiCases.length).toBeGreaterThanOrEqual(2000);
    // Only requests the server is right to wait on or cut off go unanswered; any other is a hang.
    expect(
      unanswered
        .map((outcome) => outcome.label)
        .filter((label) => !EXPECTED_UNANSWERED.test(label)),
    ).toEqual([]);
    expect(
      serverErrors.map((outcome) => `${outcome.label} -> ${outcome.statuses} ${outcome.excerpt}`),
    ).toEqual([]);
    expect(stored).toEqual([]);
    for (const queue of QUEUES) {
      const counts = await probe.counts(queue);
      expect(
        Object.values(counts).every((count) => count === 0),
        `${queue} is empty`,
      ).toBe(true);
    }
    expect(api.process.running && worker.process.running).toBe(true);
    expect((await client.get('/healthz')).status).toBe(200);
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_BOUND);

    // Nothing the corpus sent changed how a valid job is stored (no polluted prototype).
    const document = inlineDocument('hostile-after', 'Still fine.');
    const id = acceptedId(await client.enqueue('ingestion', document));
    const job = await client.get(`/v1/queues/ingestion/jobs/${id}`);
    expect(job.json).toMatchObject({ id, name: 'ingest', attemptsMade: 0, data: document });
    expect(Object.keys((job.json as { data: object }).data).sort()).toEqual([
      'documentId',
      'source',
    ]);
    expect(await probe.connection.hget(`${probe.prefix}:ingestion:${id}`, 'opts')).not.toMatch(
      /polluted|isAdmin/,
    );

    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

import { createTempDir, FakeSlack, RedisServer, type TempDir, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, acceptedIds } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures, secondsSince } from '../src/support/figures.js';
import { readDocuments } from '../src/support/files.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { appMention, inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';
import { WorkerPool } from '../src/support/worker-pool.js';

/** Stalls per `queue/jobId`, from the workers' "job stalled" lines. */
function countStalls(logs: string[]): Map<string, number> {
  const stalls = new Map<string, number>();
  for (const text of logs) {
    for (const [, queue, jobId] of text.matchAll(
      /"queue":"([^"]+)","jobId":"([^"]+)","msg":"job stalled/g,
    )) {
      const key = `${queue}/${jobId}`;
      stalls.set(key, (stalls.get(key) ?? 0) + 1);
    }
  }
  return stalls;
}

const JOBS = 5000;
/** Documents ingested alongside, so kills also land on held document locks and file writes. */
const DOCUMENTS = 1000;
const BULK_SIZE = 1000;
/** About 20 chunks per document: enough work to be killed in the middle of it. */
const DOCUMENT_TEXT = Array.from({ length: 200 }, (_, i) => `Sentence ${i} of a document.`)
  .join(' ')
  .repeat(4);
const WORKERS = 3;
/** A worker is killed each time this many more replies have been posted... */
const POSTS_PER_KILL = 100;
/** ...at most this many times. */
const MAX_KILLS = 30;

describe('kill -9 workers while 5,000 jobs (and 1,000 documents) run', () => {
  const secrets = createSecrets();
  const figures = new Figures('worker-kill');
  let redis: RedisServer;
  let slack: FakeSlack;
  let deployment: Deployment;
  let probe: QueueProbe;
  let output: TempDir;

  beforeAll(async () => {
    redis = await RedisServer.start();
    output = await createTempDir('conveyor-reliability-kill-');
    // Slack answers 20 ms after storing a post: a kill often lands between the two.
    slack = await FakeSlack.start({ postLatencyMs: 20 });
    const topology = standalone(redis);
    deployment = new Deployment({
      scenario: 'worker-kill',
      topology,
      secrets,
      workerEnv: {
        WORKER_CONCURRENCY: '8',
        WORKER_CONCURRENCY_INGESTION: '2',
        SLACK_API_URL: slack.apiUrl,
        INGEST_OUTPUT_DIR: output.path,
        // A killed worker's document locks expire this fast (production: 30 s).
        INGEST_LOCK_TTL_MS: '3000',
        // Production takes a dead worker's jobs over after 30 s (+ 2 x 15 s checks); a shorter
        // lock keeps the run short without changing what happens.
        WORKER_LOCK_DURATION_MS: '4000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        // A job's stall budget (default 2) exists to dead-letter a poison job that keeps
        // crashing its worker. Killing a worker every second or so is far beyond any real crash
        // rate, and a job can be caught three times: the budget is raised so that the test
        // measures loss, and the figures report how many stalls one job actually took.
        WORKER_MAX_STALLED_COUNT: '10',
      },
    });
    probe = new QueueProbe(topology);
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await slack?.stop();
    await redis?.stop();
    await output?.remove();
  });

  it('completes every acknowledged job: none failed, none lost, duplicates counted', async () => {
    const api = await deployment.startApi();
    const client = new ApiClient(api.url, secrets.apiToken);
    const pool = new WorkerPool(deployment);
    await pool.grow(WORKERS);
    const started = performance.now();

    const documentIds = Array.from({ length: DOCUMENTS }, (_, index) => `relkill-${index}`);
    const documents = documentIds.map((id) => inlineDocument(id, DOCUMENT_TEXT));
    for (let start = 0; start < DOCUMENTS; start += 250) {
      const batch = documents.slice(start, start + 250);
      expect(acceptedIds(await client.enqueueBulk('ingestion', batch))).toHaveLength(batch.length);
    }
    const eventIds = Array.from({ length: JOBS }, (_, index) => `EvKILL${index}`);
    const ids: string[] = [];
    for (let start = 0; start < JOBS; start += BULK_SIZE) {
      const batch = eventIds
        .slice(start, start + BULK_SIZE)
        .map((id, i) => appMention(id, start + i));
      ids.push(...acceptedIds(await client.enqueueBulk('slack-events', batch)));
    }
    expect(new Set(ids).size).toBe(JOBS);
    figures.set('jobs acknowledged (Slack replies)', ids.length);
    figures.set('documents acknowledged', DOCUMENTS);

    let nextKillAt = POSTS_PER_KILL;
    let victim = 0;
    while (pool.kills < MAX_KILLS && slack.uniqueKeys < JOBS - POSTS_PER_KILL) {
      await waitFor(() => slack.posts >= nextKillAt || slack.uniqueKeys >= JOBS - POSTS_PER_KILL, {
        description: `${nextKillAt} Slack posts`,
        timeoutMs: 60_000,
        intervalMs: 10,
      });
      if (slack.uniqueKeys >= JOBS - POSTS_PER_KILL) break;
      // Never the last one running: a fleet with no worker left is an outage, not a crash test.
      const live = pool.live;
      if (live.length > 1) await pool.killAndReplace(live[victim++ % live.length]!);
      nextKillAt = slack.posts + POSTS_PER_KILL;
    }
    await pool.settled();
    figures.set('workers killed (SIGKILL)', pool.kills);

    await waitFor(
      async () =>
        slack.missing(eventIds).length === 0 &&
        (await probe.pending('slack-events')) + (await probe.pending('ingestion')) === 0,
      {
        description: 'every acknowledged job to complete and both queues to drain',
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );
    const seconds = secondsSince(started);
    const counts = await probe.counts('slack-events');
    const ingestionCounts = await probe.counts('ingestion');
    const deadLetters =
      (await probe.deadLetters('slack-events')) + (await probe.deadLetters('ingestion'));
    // Every document is there, whole: a kill mid-write never leaves a torn file behind.
    const ingested = await readDocuments(output.path);
    const complete = documentIds.filter((id) => (ingested.get(id) ?? 0) > 0);
    const workerLogs = deployment.processes.filter((p) => p.name.startsWith('worker'));
    const stallsByJob = countStalls(workerLogs.map((p) => p.logs()));
    const stalled = [...stallsByJob.values()].reduce((sum, count) => sum + count, 0);
    figures.set('most stalls of one job', Math.max(0, ...stallsByJob.values()));
    figures.set(
      'jobs stalled more than twice (dead-lettered at the default limit)',
      [...stallsByJob.values()].filter((count) => count > 2).length,
    );
    const lockWaits = workerLogs.reduce(
      (sum, p) => sum + (p.logs().match(/being ingested elsewhere/g)?.length ?? 0),
      0,
    );
    figures.set('ingests postponed on a held document lock', lockWaits);
    const dedupedReplies = workerLogs.reduce(
      (sum, p) => sum + (p.logs().match(/reply was already posted/g)?.length ?? 0),
      0,
    );
    figures.set('jobs completed (replied)', slack.uniqueKeys);
    figures.set('documents ingested, whole', complete.length);
    figures.set('jobs failed', (counts.failed ?? 0) + (ingestionCounts.failed ?? 0));
    figures.set('dead letters', deadLetters);
    figures.set('jobs lost', slack.missing(eventIds).length);
    figures.set('side effects (Slack posts)', slack.posts);
    figures.set('duplicate side effects', slack.duplicates);
    figures.set('duplicate rate %', (100 * slack.duplicates) / JOBS);
    figures.set('stalled jobs taken over', stalled);
    figures.set('re-posts avoided by the reply ledger', dedupedReplies);
    figures.set('unexpected worker exits', pool.unexpectedExits);
    figures.set('seconds, first job to drained', seconds);
    figures.set('jobs per second under kills', (JOBS + DOCUMENTS) / seconds);

    expect(pool.kills).toBeGreaterThanOrEqual(10);
    expect(slack.missing(eventIds)).toEqual([]);
    expect(complete).toHaveLength(DOCUMENTS);
    expect(counts.failed ?? 0).toBe(0);
    expect(ingestionCounts.failed ?? 0).toBe(0);
    expect(deadLetters).toBe(0);
    expect(pool.unexpectedExits).toBe(0);
    expect(api.process.running).toBe(true);
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

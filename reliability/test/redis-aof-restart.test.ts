import { createTempDir, RedisServer, type TempDir, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, acceptedId } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures, secondsSince } from '../src/support/figures.js';
import { countFiles, tokensInAof } from '../src/support/files.js';
import { mapConcurrent } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { probeOutage } from '../src/support/outage-probe.js';
import { inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

const JOBS = 2000;
const DOCUMENT = /relaof-\d{5}/g;
const documentId = (index: number) => `relaof-${String(index).padStart(5, '0')}`;

describe('Redis SIGKILL and restart from its AOF', () => {
  const secrets = createSecrets();
  const figures = new Figures('redis-aof-restart');
  let redis: RedisServer;
  let output: TempDir;
  let deployment: Deployment;
  let probe: QueueProbe;

  beforeAll(async () => {
    redis = await RedisServer.start({ appendonly: true });
    output = await createTempDir('conveyor-reliability-aof-');
    const topology = standalone(redis);
    deployment = new Deployment({
      scenario: 'redis-aof-restart',
      topology,
      secrets,
      workerEnv: { WORKER_QUEUES: 'ingestion', INGEST_OUTPUT_DIR: output.path },
    });
    probe = new QueueProbe(topology);
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await redis?.stop();
    await output?.remove();
  });

  it('keeps all 2,000 acknowledged jobs; the API answers 503 during and 202 after, unrestarted', async () => {
    // Production's durability setting (redis.conf), not the stricter `always`.
    expect(await probe.connection.config('GET', 'appendfsync')).toEqual([
      'appendfsync',
      'everysec',
    ]);
    const api = await deployment.startApi();
    const workers = [await deployment.startWorker(), await deployment.startWorker()];
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);

    // Jobs must still be waiting when Redis dies: hold the queue as an operator would.
    await probe.queue('ingestion').pause();
    const answers = await mapConcurrent(
      Array.from({ length: JOBS }, (_, index) => index),
      20,
      (index) => client.enqueue('ingestion', inlineDocument(documentId(index))),
    );
    const ids = answers.map(acceptedId);
    figures.set('jobs acknowledged (202)', ids.length);

    // A SIGKILLed process loses only what it had not yet write()n to the AOF: the kernel keeps
    // the rest, fsynced or not (`everysec` guards against a host crash, which no test can
    // stage). So wait, by reading the file, until every acknowledged job is in it.
    const written = performance.now();
    await waitFor(async () => (await tokensInAof(redis.dir, DOCUMENT)).size === JOBS, {
      description: 'every acknowledged job to be written to the AOF',
      timeoutMs: 5000,
    });
    figures.set('ms from last 202 to all jobs in the AOF file', performance.now() - written);

    await redis.kill('SIGKILL');
    const killed = performance.now();
    const outage = await probeOutage(client, { durationMs: 2000, lanes: 2, tag: 'relaof-outage' });
    figures.set('requests during outage', outage.requests);
    figures.set('clean 503 with Retry-After', outage.clean503);
    figures.set('slowest 503 ms', outage.slowestMs);
    expect(outage.others).toEqual([]);
    expect(outage.slowestMs).toBeLessThan(2500);

    await redis.restart();
    const restarted = performance.now();
    const recoveryIds: string[] = [];
    const unexpected: string[] = [];
    let attempt = 0;
    await waitFor(
      async () => {
        const answer = await client.enqueue(
          'ingestion',
          inlineDocument(`relaof-recovery-${attempt++}`),
          { timeoutMs: 5000 },
        );
        if (answer.status === 202) recoveryIds.push(acceptedId(answer));
        else if (answer.status !== 503) unexpected.push(`${answer.status} ${answer.text}`);
        return answer.status === 202;
      },
      { description: 'the API to accept jobs again', timeoutMs: 20_000, intervalMs: 100 },
    );
    figures.set('seconds from Redis back to first 202', secondsSince(restarted));
    expect(unexpected).toEqual([]);
    figures.set('seconds from kill to first 202', secondsSince(killed));

    const present = await probe.existing('ingestion', ids);
    figures.set('acknowledged jobs present after restart', present);
    figures.set('acknowledged jobs lost', JOBS - present);
    expect(present).toBe(JOBS);

    const resumed = performance.now();
    await probe.queue('ingestion').resume();
    const expected = JOBS + recoveryIds.length;
    await waitFor(async () => (await countFiles(output.path, '.jsonl')) === expected, {
      description: `${expected} documents to be ingested by the workers that lived through it`,
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    figures.set('seconds to ingest all after resume', secondsSince(resumed));
    expect(await countFiles(output.path, '.jsonl', 'relaof-outage')).toBe(0);
    const counts = await probe.counts('ingestion');
    expect(counts.failed ?? 0).toBe(0);
    expect(await probe.deadLetters('ingestion')).toBe(0);

    // Same processes throughout: nothing was restarted to recover.
    for (const process of [api.process, ...workers.map((worker) => worker.process)]) {
      expect(process.running, `${process.name} still runs`).toBe(true);
    }
    expect(deployment.processes).toHaveLength(3);
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

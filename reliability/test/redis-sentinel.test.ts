import {
  FakeSlack,
  type RedisSentinelHandle,
  startRedisSentinel,
  waitFor,
  withRedisClient,
} from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures } from '../src/support/figures.js';
import { mapConcurrent } from '../src/support/http.js';
import { LoadGenerator } from '../src/support/load-generator.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { appMention } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { sentinel } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

const BEFORE = 300;

describe('behind Sentinel, through a real failover', () => {
  const secrets = createSecrets();
  const figures = new Figures('redis-sentinel');
  let deploymentRedis: RedisSentinelHandle;
  let slack: FakeSlack;
  let deployment: Deployment;
  let probe: QueueProbe;

  beforeAll(async () => {
    deploymentRedis = await startRedisSentinel({ password: secrets.redisPassword });
    slack = await FakeSlack.start({ postLatencyMs: 5 });
    const topology = sentinel(deploymentRedis);
    deployment = new Deployment({
      scenario: 'redis-sentinel',
      topology,
      secrets,
      // The load retries a 503 at once, thousands of times in a long failover: past the default
      // 6,000 per minute the answers would be 429s, which this scenario is not about.
      apiEnv: { RATE_LIMIT_PER_MINUTE: '100000000' },
      workerEnv: {
        WORKER_QUEUES: 'slack-events',
        SLACK_API_URL: slack.apiUrl,
        // Jobs running on the old master are taken over within seconds, not a minute.
        WORKER_LOCK_DURATION_MS: '5000',
        WORKER_STALLED_INTERVAL_MS: '1000',
      },
    });
    probe = new QueueProbe(topology);
  });

  afterAll(async () => {
    await deployment?.stop();
    await probe?.close();
    await slack?.stop();
    if (deploymentRedis) deployment?.writeLog('redis', deploymentRedis.logs());
    await deploymentRedis?.stop();
  });

  it('keeps jobs flowing through master death and replica promotion, losing none acknowledged', async () => {
    const api = await deployment.startApi();
    const workers = [await deployment.startWorker(), await deployment.startWorker()];
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);

    const before = Array.from({ length: BEFORE }, (_, index) => `EvSENTINELPRE${index}`);
    const answers = await mapConcurrent(before, 10, (id, index) =>
      client.slackEvent(appMention(id, index)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(before.map(() => 200));
    // Replication is asynchronous: make sure the replica has everything acknowledged so far
    // (a write of ours, then WAIT for one replica), so that what follows measures the window.
    const { master } = deploymentRedis;
    const replicated = await withRedisClient(master, async (redis) => {
      await redis.set('conveyor:reliability:wait-marker', '1');
      return (await redis.call('WAIT', '1', '5000')) as number;
    });
    expect(replicated).toBe(1);

    const load = new LoadGenerator(client, 'EvSENTINELLOAD');
    load.start(4);
    await waitFor(() => load.acknowledged().length >= 100, {
      description: '100 events under load',
      timeoutMs: 20_000,
    });
    const killedAt = performance.now();
    // SIGKILLs the master, then waits until every sentinel names the replica and it is master.
    await deploymentRedis.failover();
    const promotedAt = performance.now();
    figures.set('seconds from master kill to promotion', (promotedAt - killedAt) / 1000);
    await waitFor(() => load.acknowledged(promotedAt).length >= 100, {
      description: '100 events acknowledged by the new master',
      timeoutMs: 30_000,
    });
    await load.stop();
    const firstRefusal = load.sent.find((e) => e.answeredAt > killedAt && e.status === 503);
    const firstBack = load.sent.find(
      (e) => e.answeredAt > (firstRefusal?.answeredAt ?? killedAt) && e.status === 200,
    );
    figures.set(
      'seconds from master kill to first 200 again',
      ((firstBack?.answeredAt ?? Number.NaN) - killedAt) / 1000,
    );
    figures.set(
      'requests refused during failover (503)',
      load.sent.filter((event) => event.status === 503).length,
    );
    const others = load.sent.filter((event) => event.status !== 200 && event.status !== 503);
    expect(others.map((event) => `${event.eventId} ${event.status}`)).toEqual([]);

    // Between the kill and the promotion no server takes writes (the replica is read-only), so
    // an event acknowledged after the promotion was written to the new master: none of those
    // may be lost. One acknowledged earlier was written to the old master and survives only if
    // it reached the replica first: replication is asynchronous, so that window is measured.
    const afterPromotion = load.acknowledged(promotedAt);
    const beforePromotion = [...before, ...load.acknowledged(Number.NEGATIVE_INFINITY, promotedAt)];
    figures.set('acknowledged before the promotion', beforePromotion.length);
    figures.set('acknowledged after the promotion', afterPromotion.length);
    await waitFor(
      async () =>
        slack.missing(afterPromotion).length === 0 && (await probe.pending('slack-events')) === 0,
      {
        description: 'every job acknowledged after the failover to complete',
        timeoutMs: 90_000,
        intervalMs: 250,
      },
    );
    figures.set(
      'acknowledged before the promotion, lost (replication window)',
      slack.missing(beforePromotion).length,
    );
    figures.set('acknowledged after the promotion, lost', slack.missing(afterPromotion).length);
    figures.set('duplicate side effects', slack.duplicates);
    expect(slack.missing(before)).toEqual([]);
    expect(slack.missing(afterPromotion)).toEqual([]);
    expect((await probe.counts('slack-events')).failed ?? 0).toBe(0);
    expect(await probe.deadLetters('slack-events')).toBe(0);
    for (const process of [api.process, ...workers.map((worker) => worker.process)]) {
      expect(process.running, `${process.name} still runs`).toBe(true);
    }
    // Each connection reconnects on its own schedule, and the readiness check's admin connection
    // carries no load that would have shown it back: wait for it, bounded, and say why if not.
    let readiness = await client.get('/readyz');
    figures.set('/readyz once the jobs completed', readiness.status);
    if (readiness.status !== 200)
      figures.set('/readyz problems then', readiness.text.slice(0, 300));
    await waitFor(
      async () => {
        readiness = await client.get('/readyz');
        return readiness.status === 200;
      },
      { description: '/readyz 200 after the failover', timeoutMs: 15_000 },
    ).catch((error: unknown) => {
      throw new Error(`/readyz never recovered: ${readiness.status} ${readiness.text}`, {
        cause: error,
      });
    });
    figures.set(
      'seconds from promotion to /readyz seen 200',
      (performance.now() - promotedAt) / 1000,
    );
    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeSlack, RedisServer, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/support/api-client.js';
import { BacklogAutoscaler } from '../src/support/backlog-autoscaler.js';
import { type ApiHandle, Deployment } from '../src/support/deployment.js';
import { Figures, secondsSince } from '../src/support/figures.js';
import { mapConcurrent } from '../src/support/http.js';
import { findSecretLeaks } from '../src/support/log-scan.js';
import { appMention } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { readWorkerScaling } from '../src/support/scaled-object.js';
import { API_CLIENT, createSecrets } from '../src/support/secrets.js';
import { WorkerPool } from '../src/support/worker-pool.js';

/** Workers this 2-core machine runs at most (the manifest allows a cluster's 20). */
const MAX_REPLICAS = 4;
/** Jobs each worker runs at once. */
const CONCURRENCY = 20;
/** Each reply takes this long in the fake Slack: a worker does about 50 jobs/s. */
const REPLY_MS = 400;
/**
 * The load in events per second: within one worker's pace, far above it, then back within it
 * until the workers have scaled in (so that they are stopped with jobs running), then none.
 */
const RISING = [
  { perSecond: 30, seconds: 3 },
  { perSecond: 250, seconds: 5 },
] as const;
const FALLING = { perSecond: 40, maxSeconds: 40 } as const;
const TICK_MS = 100;

describe("workers scaled by the ScaledObject's formula on the API's backlog", () => {
  const secrets = createSecrets();
  const kedaToken = `relkeda${randomBytes(20).toString('hex')}`;
  const figures = new Figures('keda-scaling');
  const scaling = readWorkerScaling();
  let redis: RedisServer;
  let slack: FakeSlack;
  let deployment: Deployment;
  let probe: QueueProbe;
  let api: ApiHandle;
  let pool: WorkerPool;
  let autoscaler: BacklogAutoscaler | undefined;

  beforeAll(async () => {
    redis = await RedisServer.start();
    slack = await FakeSlack.start({ postLatencyMs: REPLY_MS });
    const topology = standalone(redis);
    deployment = new Deployment({
      scenario: 'keda-scaling',
      topology,
      secrets,
      // KEDA is a client of its own that may only read, as the README suggests.
      apiEnv: {
        API_TOKENS: `${API_CLIENT}:${secrets.apiToken},keda:${kedaToken}`,
        API_CLIENT_SCOPES: 'keda=read:*',
      },
      workerEnv: {
        SLACK_API_URL: slack.apiUrl,
        WORKER_QUEUES: 'slack-events',
        WORKER_CONCURRENCY: String(CONCURRENCY),
      },
    });
    probe = new QueueProbe(topology);
    pool = new WorkerPool(deployment);
    api = await deployment.startApi();
  });

  afterAll(async () => {
    await autoscaler?.stop();
    await pool?.stop();
    await deployment?.stop();
    await probe?.close();
    await slack?.stop();
    await redis?.stop();
  });

  it('scales up while the backlog rises, drains it, and scales down with clean exits and nothing lost', async () => {
    // The formula as the manifest writes it; only the machine's maximum is lower.
    expect(scaling.triggers.map((trigger) => new URL(trigger.url).pathname)).toEqual([
      '/v1/queues/ingestion/backlog',
      '/v1/queues/slack-events/backlog',
    ]);
    expect(scaling.triggers.every((trigger) => trigger.valueLocation === 'backlog')).toBe(true);
    const target = scaling.triggers[1]?.targetValue ?? 0;
    expect(target).toBeGreaterThan(0);
    expect(scaling.minReplicaCount).toBeGreaterThanOrEqual(1);
    const maxReplicas = Math.min(scaling.maxReplicaCount, MAX_REPLICAS);
    figures.set('target backlog per worker (manifest)', target);
    figures.set(
      'replicas min..max (manifest)',
      `${scaling.minReplicaCount}..${scaling.maxReplicaCount}`,
    );
    figures.set('replicas max here', maxReplicas);

    await pool.grow(scaling.minReplicaCount);
    autoscaler = new BacklogAutoscaler({
      scaling,
      apiUrl: api.url,
      token: kedaToken,
      pool,
      maxReplicas,
      pollIntervalMs: 500,
      scaleDownWindowMs: 3000,
    });
    const started = performance.now();
    autoscaler.start();

    // The load rises, falls, then stops; every event the API acknowledged must be replied to.
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);
    const acknowledged: string[] = [];
    let sent = 0;
    const tick = async (perSecond: number) => {
      const next = delay(TICK_MS);
      const ids = Array.from({ length: (perSecond * TICK_MS) / 1000 }, () => `EvKEDA${sent++}`);
      const answers = await mapConcurrent(ids, 10, (id, index) =>
        client.slackEvent(appMention(id, sent + index)),
      );
      answers.forEach((answer, index) => {
        if (answer.status === 200) acknowledged.push(ids[index] as string);
      });
      await next;
    };
    for (const phase of RISING) {
      for (let index = 0; index < (phase.seconds * 1000) / TICK_MS; index++) {
        await tick(phase.perSecond);
      }
    }
    const falling = performance.now();
    const scaledIn = () => autoscaler?.exits.length && pool.size === scaling.minReplicaCount;
    while (!scaledIn() && performance.now() - falling < FALLING.maxSeconds * 1000) {
      await tick(FALLING.perSecond);
    }
    expect(autoscaler.errors).toEqual([]);
    expect(scaledIn(), 'scaled in while the load fell').toBeTruthy();
    const loadEnded = performance.now();
    figures.set('events sent', sent);
    figures.set('events acknowledged', acknowledged.length);
    expect(acknowledged.length).toBe(sent);

    // The backlog drains, and the workers go back to the minimum once it has.
    await waitFor(
      async () =>
        slack.missing(acknowledged).length === 0 && (await probe.pending('slack-events')) === 0,
      { timeoutMs: 60_000, intervalMs: 250, description: 'every event replied to' },
    );
    figures.set('seconds from the end of the load to drained', secondsSince(loadEnded));
    await waitFor(() => pool.size === scaling.minReplicaCount, {
      timeoutMs: 30_000,
      description: 'the workers scaled back to the minimum',
    });
    await autoscaler.stop();
    const exits = await Promise.all(autoscaler.exits);
    figures.set('seconds in all', secondsSince(started));

    const steps = autoscaler.steps;
    const peak = Math.max(...steps.map((step) => step.replicas));
    const peakBacklog = Math.max(...steps.map((step) => Math.max(...step.values)));
    figures.set('peak backlog polled', peakBacklog);
    figures.set('peak replicas', peak);
    figures.set('workers scaled down', exits.length);
    expect(autoscaler.errors).toEqual([]);
    // The backlog went past what one worker is meant to carry, and the workers followed it.
    expect(peakBacklog).toBeGreaterThan(target);
    expect(peak).toBeGreaterThan(scaling.minReplicaCount);
    expect(peak).toBe(Math.min(Math.ceil(peakBacklog / target), maxReplicas));
    // While the load ran slower than one worker, the formula asked for the minimum only.
    expect(steps[0]?.desired).toBe(scaling.minReplicaCount);

    // Each worker scaled down finished its running jobs and exited 0 (a drain that timed out
    // would exit 1, a stop that hung would end in SIGKILL).
    const workers = deployment.processes.filter((process) => process.name.startsWith('worker'));
    expect(exits.length).toBe(workers.length - scaling.minReplicaCount);
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
    expect(pool.unexpectedExits).toBe(0);
    const stopped = workers.filter((process) => !process.running);
    expect(stopped).toHaveLength(exits.length);
    let runningAtSigterm = 0;
    for (const process of stopped) {
      const lines = process
        .logs()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; running?: string[] });
      runningAtSigterm +=
        lines.find((line) => line.msg?.startsWith('stopping:'))?.running?.length ?? 0;
      expect(lines.find((line) => line.msg === 'jobs stopped')).toMatchObject({
        drained: true,
        abandoned: [],
      });
    }
    figures.set('jobs running at SIGTERM, finished before exit', runningAtSigterm);
    expect(runningAtSigterm).toBeGreaterThan(0);

    // Nothing lost, nothing done twice: one reply per acknowledged event, none failed.
    expect(slack.missing(acknowledged)).toEqual([]);
    expect(slack.duplicates).toBe(0);
    expect(slack.uniqueKeys).toBe(acknowledged.length);
    const counts = await probe.counts('slack-events');
    expect(counts.failed ?? 0).toBe(0);
    expect(await probe.deadLetters('slack-events')).toBe(0);
    figures.set('duplicate replies', slack.duplicates);

    expect(findSecretLeaks(deployment.processes, secrets)).toEqual([]);
    figures.passed();
  });
});

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
import { LoadGenerator } from '../src/support/load-generator.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { sentinel } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';

/** Both APIs' traffic: single Slack events and bulks, and what each acknowledged. */
class Traffic {
  readonly single: LoadGenerator;
  readonly bulk: LoadGenerator;

  constructor(client: ApiClient, tag: string) {
    this.single = new LoadGenerator(client, `${tag}S`);
    this.bulk = new LoadGenerator(client, `${tag}B`, { bulkSize: 10 });
  }

  /** Runs until {@link stop}: the lanes' own limit is past the test's timeout. */
  start(): void {
    this.single.start(3, 300_000);
    this.bulk.start(1, 300_000);
  }

  stop(): Promise<void> {
    return Promise.all([this.single.stop(), this.bulk.stop()]).then(() => undefined);
  }

  acknowledged(from?: number, to?: number): string[] {
    return [...this.single.acknowledged(from, to), ...this.bulk.acknowledged(from, to)];
  }

  /** Answers other than success and 503 (none expected). */
  unexpected(): string[] {
    return [...this.single.unexpected(), ...this.bulk.unexpected()].map(
      (event) => `${event.eventId} ${event.status}`,
    );
  }

  /** Events refused with 503. */
  refused(): number {
    return [...this.single.sent, ...this.bulk.sent].filter((event) => event.status === 503).length;
  }
}

describe('REDIS_MIN_REPLICAS_ACK through a Sentinel failover', () => {
  const secrets = createSecrets();
  const figures = new Figures('replica-ack-failover');
  let redis: RedisSentinelHandle;
  let slack: FakeSlack;
  let deployment: Deployment;
  let probe: QueueProbe;

  beforeAll(async () => {
    redis = await startRedisSentinel({ password: secrets.redisPassword });
    slack = await FakeSlack.start({ postLatencyMs: 1 });
    const topology = sentinel(redis);
    deployment = new Deployment({
      scenario: 'replica-ack-failover',
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
    if (redis) deployment?.writeLog('redis', redis.logs());
    await redis?.stop();
  });

  it('loses no job acknowledged with N=1 when the master is SIGKILLed, and workers go on', async () => {
    const [replicated, plain] = await Promise.all([
      deployment.startApi({ REDIS_MIN_REPLICAS_ACK: '1' }),
      deployment.startApi({ REDIS_MIN_REPLICAS_ACK: '0' }),
    ]);
    await Promise.all([deployment.startWorker(), deployment.startWorker()]);
    const replicatedClient = new ApiClient(
      replicated.url,
      secrets.apiToken,
      secrets.slackSigningSecret,
    );
    const plainClient = new ApiClient(plain.url, secrets.apiToken, secrets.slackSigningSecret);
    const withAck = new Traffic(replicatedClient, 'EvACK');
    const withoutAck = new Traffic(plainClient, 'EvNOACK');
    withAck.start();
    withoutAck.start();
    await waitFor(
      () => withAck.acknowledged().length >= 200 && withoutAck.acknowledged().length >= 200,
      { description: '200 events acknowledged by each API under load', timeoutMs: 20_000 },
    );

    // A partition first, as in Jepsen's Redis analysis: the replica loses its link and cannot
    // come back (wrong master password), so what the master acknowledges now exists only there.
    const { master: oldMaster, replica: newMaster } = redis;
    await withRedisClient(newMaster, async (client) => {
      await client.config('SET', 'masterauth', 'wrong-password');
      await client.call('CLIENT', 'KILL', 'TYPE', 'master');
    });
    await waitFor(
      () =>
        withRedisClient(newMaster, async (client) =>
          (await client.info('replication')).includes('master_link_status:down'),
        ),
      { description: 'the replica to lose its master' },
    );
    const cutAt = performance.now();
    await waitFor(() => withoutAck.acknowledged(cutAt).length >= 20, {
      description: 'the N=0 API to acknowledge writes the replica does not get',
      timeoutMs: 10_000,
    });
    figures.set(
      'N=1: acknowledged while the replica was cut off',
      withAck.acknowledged(cutAt).length,
    );

    const killedAt = performance.now();
    await oldMaster.kill('SIGKILL');
    await withRedisClient(newMaster, (client) =>
      client.config('SET', 'masterauth', secrets.redisPassword),
    );
    // The master is dead already: waits until every sentinel names the replica and it is master.
    await redis.failover();
    const promotedAt = performance.now();
    figures.set('seconds from master kill to promotion', (promotedAt - killedAt) / 1000);

    // The new master has no replica: N=1 cannot be met, and /readyz says so.
    const notReady = await waitFor(
      async () => {
        const answer = await replicatedClient.get('/readyz');
        return answer.status === 503 && answer.text.includes('fewer Redis replicas online')
          ? answer
          : undefined;
      },
      { description: '/readyz of the N=1 API to report the missing replica', timeoutMs: 15_000 },
    );
    expect(notReady.text).toContain('REDIS_MIN_REPLICAS_ACK requires');

    // The operator brings the old master back, as a replica of the new one.
    await oldMaster.restart();
    await withRedisClient(oldMaster, (client) =>
      client.call('REPLICAOF', newMaster.host, String(newMaster.port)),
    );
    // Whichever is master by then: on a loaded machine the sentinels once judged the new master
    // down while the old one rejoined, and promoted the old one back. Nothing is lost either way:
    // every write acknowledged with N=1 is on both.
    await redis.waitForReplica();
    const reattachedAt = performance.now();
    figures.set('seconds from promotion to a replica again', (reattachedAt - promotedAt) / 1000);

    await waitFor(() => withAck.acknowledged(reattachedAt).length >= 100, {
      description: '100 events acknowledged by the N=1 API once a replica is back',
      timeoutMs: 20_000,
    });
    await Promise.all([withAck.stop(), withoutAck.stop()]);
    expect([...withAck.unexpected(), ...withoutAck.unexpected()]).toEqual([]);

    // Workers keep processing after the failover: every job acknowledged after the promotion
    // completes, from both APIs.
    const afterPromotion = [
      ...withAck.acknowledged(promotedAt),
      ...withoutAck.acknowledged(promotedAt),
    ];
    expect(afterPromotion.length).toBeGreaterThan(0);
    const promotedWithAck = withAck.acknowledged(promotedAt);
    await waitFor(
      async () => {
        // After a second switch, what N=0 acknowledged and the other server had not received yet
        // is gone like before the first: only N=1's acknowledgements are owed then.
        const owed = redis.switches() === 1 ? afterPromotion : promotedWithAck;
        return slack.missing(owed).length === 0 && (await probe.pending('slack-events')) === 0;
      },
      {
        description: 'every job acknowledged after the failover to complete',
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );

    const acknowledgedWithAck = withAck.acknowledged();
    const lostWithAck = slack.missing(acknowledgedWithAck);
    const lostWithoutAck = slack.missing(withoutAck.acknowledged());
    figures.set('master switches by the sentinels', redis.switches());
    figures.set('N=1: acknowledged', acknowledgedWithAck.length);
    figures.set('N=1: acknowledged, lost', lostWithAck.length);
    figures.set('N=1: events refused (503)', withAck.refused());
    figures.set('N=0: events refused (503)', withoutAck.refused());
    figures.set('N=0: acknowledged', withoutAck.acknowledged().length);
    figures.set('N=0: acknowledged, lost', lostWithoutAck.length);
    // Reported, not asserted: without WAIT the loss is whatever the master acknowledged while
    // the replica was cut off, which depends on timing.
    console.info(
      `replica-ack failover: N=1 lost ${lostWithAck.length} of ${acknowledgedWithAck.length} acknowledged; N=0 lost ${lostWithoutAck.length} of ${withoutAck.acknowledged().length}`,
    );
    expect(lostWithAck).toEqual([]);
    figures.passed();
  });
});

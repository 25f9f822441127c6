import { createTempDir, FakeSlack, RedisServer, type TempDir, waitFor } from '@conveyor/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, acceptedId } from '../src/support/api-client.js';
import { Deployment } from '../src/support/deployment.js';
import { Figures } from '../src/support/figures.js';
import { countFiles } from '../src/support/files.js';
import { countLines, findSecretLeaks } from '../src/support/log-scan.js';
import { appMention, inlineDocument } from '../src/support/payloads.js';
import { QueueProbe } from '../src/support/queue-probe.js';
import { standalone } from '../src/support/redis-topology.js';
import { createSecrets } from '../src/support/secrets.js';
import { startupVerdict } from '../src/support/startup-verdict.js';

const ACL_USER = 'conveyor-app';

/**
 * The application user: only keys under the queue prefix, no pub/sub channels, no admin or
 * dangerous commands except INFO, which BullMQ and the readiness checks read.
 */
const aclRule = (password: string) =>
  `user ${ACL_USER} on >${password} ~conveyor:* resetchannels &conveyor:* +@all -@admin -@dangerous +info`;

describe('Redis with requirepass and an ACL user restricted to the queue prefix', () => {
  const secrets = createSecrets();
  const figures = new Figures('redis-auth');
  let redis: RedisServer;
  let slack: FakeSlack;
  let output: TempDir;
  let deployment: Deployment;
  let admin: Redis;

  beforeAll(async () => {
    redis = await RedisServer.start({
      password: secrets.redisPassword,
      aclUsers: [aclRule(secrets.aclPassword)],
    });
    slack = await FakeSlack.start();
    output = await createTempDir('conveyor-reliability-auth-');
    deployment = new Deployment({
      scenario: 'redis-auth',
      topology: standalone(redis, { username: ACL_USER, password: secrets.aclPassword }),
      secrets,
      // Debug logs: the most a process ever prints, so the widest net for leaked secrets.
      apiEnv: { LOG_LEVEL: 'debug' },
      workerEnv: {
        LOG_LEVEL: 'debug',
        SLACK_API_URL: slack.apiUrl,
        INGEST_OUTPUT_DIR: output.path,
      },
    });
    admin = redis.client();
  });

  afterAll(async () => {
    await deployment?.stop();
    admin?.disconnect();
    await slack?.stop();
    await redis?.stop();
    await output?.remove();
  });

  it('runs jobs end to end as the restricted user', async () => {
    const restricted = new Redis({
      host: redis.host,
      port: redis.port,
      username: ACL_USER,
      password: secrets.aclPassword,
      maxRetriesPerRequest: 1,
    });
    try {
      await expect(restricted.set('outside:key', '1')).rejects.toThrow(/NOPERM/);
      await expect(restricted.config('GET', 'maxmemory')).rejects.toThrow(/NOPERM/);
    } finally {
      restricted.disconnect();
    }
    // Those two refusals were the suite's own; from here on the log must stay empty.
    await admin.call('ACL', 'LOG', 'RESET');

    const api = await deployment.startApi();
    const worker = await deployment.startWorker();
    const client = new ApiClient(api.url, secrets.apiToken, secrets.slackSigningSecret);
    const probe = new QueueProbe(
      standalone(redis, { username: ACL_USER, password: secrets.aclPassword }),
    );
    try {
      expect((await client.get('/readyz')).status).toBe(200);
      expect((await fetch(`${worker.healthUrl}/readyz`)).status).toBe(200);

      const event = await client.slackEvent(appMention('EvAUTH1', 1));
      expect(event.status).toBe(200);
      const id = acceptedId(await client.enqueue('ingestion', inlineDocument('relauth-doc')));
      await waitFor(
        async () =>
          slack.postsByKey.has('EvAUTH1') && (await countFiles(output.path, '.jsonl')) === 1,
        {
          description: 'the Slack reply and the ingested document',
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      );
      const job = await client.get(`/v1/queues/ingestion/jobs/${id}`);
      await waitFor(
        async () =>
          ((await client.get(`/v1/queues/ingestion/jobs/${id}`)).json as { state: string })
            .state === 'completed',
        {
          description: 'the ingestion job to be completed',
          timeoutMs: 10_000,
          intervalMs: 100,
        },
      );
      expect(job.status).toBe(200);
      expect([...slack.authorizations]).toEqual([`Bearer ${secrets.slackBotToken}`]);
      expect((await client.get('/v1/queues')).status).toBe(200);
      expect(await probe.deadLetters('ingestion')).toBe(0);

      // Nothing the apps did was refused by the ACL.
      const denied = (await admin.call('ACL', 'LOG')) as unknown[];
      figures.set('commands refused by the ACL', denied.length);
      expect(denied).toEqual([]);
      figures.set('end to end as restricted ACL user', 'ok');
    } finally {
      await probe.close();
    }
  });

  it('gives a clear start-up error for a wrong password', async () => {
    const cases: { name: string; env: Record<string, string> }[] = [
      {
        name: 'ACL user, wrong password',
        env: {
          REDIS_URL: `redis://${ACL_USER}:${encodeURIComponent(secrets.wrongPassword)}@${redis.host}:${redis.port}`,
        },
      },
      {
        name: 'default user, wrong REDIS_PASSWORD',
        env: {
          REDIS_URL: `redis://${redis.host}:${redis.port}`,
          REDIS_PASSWORD: secrets.wrongPassword,
        },
      },
    ];
    const verdicts: string[] = [];
    for (const { name, env } of cases) {
      const api = await deployment.startApi(env, { waitUntil: 'spawned' });
      const worker = await deployment.startWorker(env, { waitUntilStarted: false });
      const [apiVerdict, workerVerdict] = await Promise.all([
        startupVerdict(api.process, `${api.url}/readyz`),
        startupVerdict(worker.process, `${worker.healthUrl}/readyz`),
      ]);
      figures.set(
        `api, ${name}`,
        `${apiVerdict.how} after ${apiVerdict.seconds.toFixed(1)} s: ${apiVerdict.message.slice(0, 160)}`,
      );
      figures.set(
        `worker, ${name}`,
        `${workerVerdict.how} after ${workerVerdict.seconds.toFixed(1)} s: ${workerVerdict.message.slice(0, 160)}`,
      );
      verdicts.push(`${name}: api ${apiVerdict.how}, worker ${workerVerdict.how}`);
      await Promise.all([api.process.stop(5000), worker.process.stop(5000)]);
    }
    expect(verdicts.filter((verdict) => verdict.includes('silent'))).toEqual([]);
  });

  it('never prints a secret', () => {
    const leaks = findSecretLeaks(deployment.processes, secrets);
    figures.set('processes whose logs were scanned', deployment.processes.length);
    figures.set('log lines scanned (debug level)', countLines(deployment.processes));
    figures.set('secrets leaked', leaks.length);
    expect(leaks).toEqual([]);
    figures.passed();
  });
});

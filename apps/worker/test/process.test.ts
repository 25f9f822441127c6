import { FakeSlack, getFreePort, waitFor, waitForHttp } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileServer } from './support/file-server.js';
import { appMention } from './support/slack-payloads.js';
import { TestContext } from './support/test-context.js';

let slack: FakeSlack;
let files: FileServer;

beforeAll(async () => {
  slack = await FakeSlack.start();
  files = await FileServer.start();
});
afterAll(async () => {
  await slack?.stop();
  await files?.stop();
});

/** A worker process's environment: a fake Slack, and an HTTP port to wait for readiness. */
async function workerEnv(extra: Record<string, string> = {}) {
  const port = await getFreePort();
  return {
    port,
    env: {
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-process',
      WORKER_HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      ...extra,
    },
  };
}

describe('worker process', () => {
  it('exits 1 with a readable message and no stack on a bad configuration', async () => {
    const context = await TestContext.create();
    try {
      const child = context.spawnWorker('worker-bad-config', {
        WORKER_QUEUES: 'slack-events,emails',
        REDIS_PORT: 'abc',
        REDIS_URL: '',
      });
      const exit = await child.exited;
      expect(exit.code).toBe(1);
      const output = child.output();
      expect(output).toContain('Invalid configuration');
      expect(output).toContain('WORKER_QUEUES: unknown queue "emails"');
      expect(output).toContain('REDIS_PORT');
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      await context.close();
    }
  });

  it('a worker killed with -9 loses no job: another worker process completes them all', {
    timeout: 60_000,
  }, async () => {
    // The killed worker's document lock outlives it by at most its TTL.
    const context = await TestContext.create({ INGEST_LOCK_TTL_MS: '2000' });
    try {
      // The first three replies reach Slack but are never answered: in flight when the kill comes.
      slack.fail('chat.postMessage', { kind: 'accept-then-hold' }, 3);
      files.sequence('/slow-doc.txt', [
        { body: 'First fetch never finishes in time.', delayMs: 60_000 },
        { body: 'A document fetched by the second worker.' },
      ]);
      const a = await workerEnv({ WORKER_CONCURRENCY: '3' });
      const first = context.spawnWorker('worker-a', a.env);
      await waitForHttp(`http://127.0.0.1:${a.port}/readyz`, { timeoutMs: 15_000 });

      const mentions = Array.from({ length: 6 }, () => appMention({ channel: 'C-KILL' }));
      const slackIds = [];
      for (const mention of mentions) slackIds.push(await context.enqueue('slack-events', mention));
      const ingestId = await context.enqueue('ingestion', {
        documentId: 'killed:doc',
        source: { kind: 'url', url: files.url('/slow-doc.txt') },
      });
      await waitFor(
        () => slack.messagesIn('C-KILL').length >= 3 && files.hits('/slow-doc.txt') >= 1,
        {
          description: 'three replies and one fetch in flight in worker A',
        },
      );
      const inFlight = await context.producer.queue('slack-events').getActiveCount();
      expect(inFlight).toBe(3);

      first.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const b = await workerEnv();
      const second = context.spawnWorker('worker-b', b.env);
      const jobs = await Promise.all([
        ...slackIds.map((id) => context.waitForJob('slack-events', id, { timeoutMs: 20_000 })),
        context.waitForJob('ingestion', ingestId, { timeoutMs: 20_000 }),
      ]);

      for (const job of jobs) expect(await job.getState()).toBe('completed');
      expect(await context.producer.queue('slack-events').getFailedCount()).toBe(0);
      expect(await context.producer.queue('ingestion').getFailedCount()).toBe(0);
      // Every mention was answered exactly once, also those whose reply was in flight in A.
      const replyKeys = slack
        .messagesIn('C-KILL')
        .map((message) => message.metadata?.event_payload?.reply_key);
      expect(replyKeys.sort()).toEqual(mentions.map((m) => m.event_id).sort());
      const recovered = jobs.filter((job) => job.returnvalue?.deduplicated === true);
      expect(recovered).toHaveLength(3);
      expect(jobs.at(-1)?.returnvalue).toMatchObject({ skipped: false, chunks: 1 });
      expect(second.output()).toContain('job stalled');
    } finally {
      await context.close();
    }
  });

  it('dead-letters a job that stalls more often than WORKER_MAX_STALLED_COUNT', async () => {
    const context = await TestContext.create({ WORKER_MAX_STALLED_COUNT: '0' });
    try {
      slack.fail('chat.postMessage', { kind: 'accept-then-hold' });
      const a = await workerEnv({ WORKER_QUEUES: 'slack-events' });
      const first = context.spawnWorker('worker-stall-a', a.env);
      await waitForHttp(`http://127.0.0.1:${a.port}/readyz`, { timeoutMs: 15_000 });
      const id = await context.enqueue('slack-events', appMention({ channel: 'C-STALL' }));
      await waitFor(() => slack.messagesIn('C-STALL').length === 1, {
        description: 'the reply to be in flight',
      });
      first.kill('SIGKILL');
      await first.exited;

      context.spawnWorker(
        'worker-stall-b',
        (await workerEnv({ WORKER_QUEUES: 'slack-events' })).env,
      );
      const job = await context.waitForJob('slack-events', id, { timeoutMs: 15_000 });
      expect(await job.getState()).toBe('failed');
      const letter = await waitFor(
        () => context.producer.deadLetters('slack-events').get(`slack-events-${id}`),
        { description: 'the dead letter' },
      );
      expect(letter).toMatchObject({ jobId: id, unrecoverable: true, attemptsMade: 1 });
      expect(letter.failedReason).toContain('stalled more than allowable limit');
    } finally {
      await context.close();
    }
  });

  it('on SIGTERM finishes the job in flight, reports not ready meanwhile, and exits 0', async () => {
    const context = await TestContext.create();
    try {
      slack.fail('chat.postMessage', { kind: 'accept-then-hold', ms: 1500 });
      const { port, env } = await workerEnv({ WORKER_QUEUES: 'slack-events' });
      const child = context.spawnWorker('worker-sigterm', env);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 15_000 });

      const id = await context.enqueue('slack-events', appMention({ channel: 'C-TERM' }));
      await waitFor(() => slack.messagesIn('C-TERM').length === 1, {
        description: 'the reply to be in flight',
      });
      child.kill('SIGTERM');
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { status: 503, timeoutMs: 1000 });
      const exit = await child.exited;
      const exitedAt = Date.now();

      expect(exit).toEqual({ code: 0, signal: null });
      const job = await context.waitForJob('slack-events', id, { timeoutMs: 1000 });
      expect(await job.getState()).toBe('completed');
      expect(job.finishedOn).toBeLessThanOrEqual(exitedAt);
      expect(child.output()).toMatch(/"drained":true.*"msg":"jobs stopped"/);
      expect(child.output()).toMatch(/"exitCode":0,"msg":"stopped"/);
    } finally {
      await context.close();
    }
  });

  it('exits at once on a second signal, leaving the job to be taken over', async () => {
    const context = await TestContext.create();
    try {
      slack.fail('chat.postMessage', { kind: 'accept-then-hold' });
      const { port, env } = await workerEnv({ WORKER_QUEUES: 'slack-events' });
      const child = context.spawnWorker('worker-twice', env);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 15_000 });
      const id = await context.enqueue('slack-events', appMention({ channel: 'C-TWICE' }));
      await waitFor(() => slack.messagesIn('C-TWICE').length === 1, {
        description: 'the reply to be in flight',
      });

      child.kill('SIGTERM');
      await child.waitForOutput('"msg":"shutting down"', 5000);
      const secondAt = Date.now();
      child.kill('SIGINT');
      const exit = await child.exited;
      expect(exit.code).toBe(130);
      expect(Date.now() - secondAt).toBeLessThan(2000);
      expect(await context.producer.queue('slack-events').getJobState(id)).toBe('active');
    } finally {
      await context.close();
    }
  });
});

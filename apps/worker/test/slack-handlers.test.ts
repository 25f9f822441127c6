import type { DeadLetter } from '@conveyor/queues';
import { tenantKeys } from '@conveyor/queues';
import { FakeSlack, getFreePort, promtoolCheckMetrics, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appMention, eventEnvelope, slackTs, slashCommand } from './support/slack-payloads.js';
import { type InProcessWorker, logsWithMessage, TestContext } from './support/test-context.js';

let slack: FakeSlack;
let context: TestContext;
let worker: InProcessWorker;
let httpPort: number;

beforeAll(async () => {
  slack = await FakeSlack.start();
  context = await TestContext.create({
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_TOKEN: 'xoxb-test-token',
  });
  httpPort = await getFreePort();
  worker = await context.startWorker({
    env: { WORKER_QUEUES: 'slack-events', WORKER_HTTP_PORT: String(httpPort) },
  });
});

afterAll(async () => {
  await context?.close();
  await slack?.stop();
});

async function deadLetterOf(id: string): Promise<DeadLetter | undefined> {
  return context.producer.deadLetters('slack-events').get(`slack-events-${id}`);
}

async function metric(name: string): Promise<string> {
  return (await worker.app.metricsRegistry.getSingleMetricAsString(name)) ?? '';
}

describe('app_mention', () => {
  it('replies once in the thread of a top-level mention, as the bot, with its event_id', async () => {
    const envelope = appMention({ channel: 'C-TOP', text: '<@U0BOT> how are the queues?' });
    const id = await context.enqueue('slack-events', envelope);
    const job = await context.waitForJob('slack-events', id);

    expect(await job.getState()).toBe('completed');
    const [message, ...others] = slack.messagesIn('C-TOP');
    expect(others).toEqual([]);
    expect(message).toMatchObject({
      thread_ts: envelope.event.ts,
      text: 'Hi <@U0001>, you said: "how are the queues?"',
      metadata: { event_type: 'conveyor_reply', event_payload: { reply_key: envelope.event_id } },
    });
    expect(slack.callsOf('chat.postMessage').at(-1)?.authorization).toBe('Bearer xoxb-test-token');
    expect(job.returnvalue).toEqual({
      replied: true,
      channel: 'C-TOP',
      threadTs: envelope.event.ts,
      ts: message?.ts,
      deduplicated: false,
    });
    // The job's child logger carried queue, id and attempt.
    const completed = logsWithMessage(worker.logs, 'job completed').find((l) => l.jobId === id);
    expect(completed).toMatchObject({ queue: 'slack-events', job: 'app_mention', attempt: 1 });
  });

  it('replies in the existing thread of a mention inside a thread', async () => {
    const threadTs = slackTs();
    const envelope = appMention({ channel: 'C-THREAD', threadTs });
    const job = await context.waitForJob(
      'slack-events',
      await context.enqueue('slack-events', envelope),
    );
    expect(job.returnvalue).toMatchObject({ replied: true, threadTs });
    expect(slack.messagesIn('C-THREAD').map((m) => m.thread_ts)).toEqual([threadTs]);
  });

  it('ignores mentions sent by bots, so two bots never answer each other', async () => {
    const byBotId = appMention({ channel: 'C-BOTS', bot_id: 'B0OTHER' });
    const bySubtype = appMention({ channel: 'C-BOTS', subtype: 'bot_message' });
    const ids = [
      await context.enqueue('slack-events', byBotId),
      await context.enqueue('slack-events', bySubtype),
    ];
    for (const id of ids) {
      const job = await context.waitForJob('slack-events', id);
      expect(job.returnvalue).toEqual({ ignored: true, reason: 'sent by a bot' });
    }
    expect(slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C-BOTS')).toEqual(
      [],
    );
  });

  it('retries a transient failure (503) with backoff, then replies exactly once', async () => {
    slack.fail('chat.postMessage', { kind: 'http', status: 503 });
    const id = await context.enqueue('slack-events', appMention({ channel: 'C-RETRY' }));
    const job = await context.waitForJob('slack-events', id);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(job.returnvalue).toMatchObject({ replied: true, deduplicated: false });
    expect(slack.messagesIn('C-RETRY')).toHaveLength(1);
    expect(await metric('conveyor_jobs_failed_total')).toMatch(
      /conveyor_jobs_failed_total\{queue="slack-events",final="false",app="worker"\} [1-9]/,
    );
  });

  it('does not post twice when Slack took the message but the answer was lost', async () => {
    slack.fail('chat.postMessage', { kind: 'accept-then-fail', status: 500 });
    const id = await context.enqueue('slack-events', appMention({ channel: 'C-LOST' }));
    const job = await context.waitForJob('slack-events', id);

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(job.returnvalue).toMatchObject({ replied: true, deduplicated: true });
    expect(slack.messagesIn('C-LOST')).toHaveLength(1);
    // The retry looked for its reply instead of posting blindly.
    const channelCalls = slack.calls.filter((c) => c.params.channel === 'C-LOST');
    expect(channelCalls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'conversations.replies',
    ]);
  });

  it('checks Slack before posting again even if the Redis marker was lost', async () => {
    slack.fail('chat.postMessage', { kind: 'accept-then-fail', status: 500 });
    const envelope = appMention({ channel: 'C-NOMARK' });
    const id = await context.enqueue('slack-events', envelope);
    await waitFor(() => slack.messagesIn('C-NOMARK').length === 1, { description: 'the post' });
    // As if Redis lost its last second of writes in a crash.
    await worker.connections.admin.del(`${context.prefix}:worker:slack-reply:${envelope.event_id}`);
    const job = await context.waitForJob('slack-events', id);

    expect(job.attemptsMade).toBe(2);
    expect(job.returnvalue).toMatchObject({ replied: true, deduplicated: true });
    expect(slack.messagesIn('C-NOMARK')).toHaveLength(1);
  });

  it('sends a permanent Slack error to dead letters after one attempt', async () => {
    slack.fail('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
    const id = await context.enqueue('slack-events', appMention({ channel: 'C-GONE' }));
    const job = await context.waitForJob('slack-events', id);

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('channel_not_found');
    const letter = await deadLetterOf(id);
    expect(letter).toMatchObject({
      queue: 'slack-events',
      jobId: id,
      name: 'app_mention',
      attemptsMade: 1,
      unrecoverable: true,
    });
    expect(letter?.failedReason).toContain('channel_not_found');
    expect(
      slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C-GONE'),
    ).toHaveLength(1);
    expect(await metric('conveyor_dead_letters_total')).toMatch(
      /conveyor_dead_letters_total\{queue="slack-events",app="worker"\} [1-9]/,
    );
  });

  it('pauses the workspace for Retry-After on a 429 without spending an attempt', async () => {
    slack.fail('chat.postMessage', { kind: 'rate-limit', retryAfterSec: 1 });
    const failedBefore = await metric('conveyor_jobs_failed_total');
    const ids = [
      await context.enqueue('slack-events', appMention({ channel: 'C-429' })),
      await context.enqueue('slack-events', appMention({ channel: 'C-429' })),
    ];
    const jobs = await Promise.all(ids.map((id) => context.waitForJob('slack-events', id)));

    const calls = slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C-429');
    const limitedAt = calls.find((c) => c.status === 429)?.at;
    expect(limitedAt).toBeDefined();
    const posted = slack.messagesIn('C-429');
    expect(posted).toHaveLength(2);
    for (const message of posted) {
      // Nothing got through before Retry-After had passed.
      expect(message.receivedAt - (limitedAt ?? 0)).toBeGreaterThanOrEqual(950);
    }
    for (const job of jobs) {
      expect(await job.getState()).toBe('completed');
      // One attempt counted: the one that succeeded. The rate-limited start was not an attempt.
      expect(job.attemptsMade).toBe(1);
    }
    expect(Math.max(...jobs.map((job) => job.attemptsStarted))).toBeGreaterThanOrEqual(2);
    expect(await metric('conveyor_jobs_failed_total')).toBe(failedBefore);
  });
});

describe('slash commands and other payloads', () => {
  it('answers a slash command on its response_url', async () => {
    const command = slashCommand(slack.responseUrl('cmd-1'), '/conveyor', 'status now');
    const id = await context.enqueue('slack-events', command, 'slash_command');
    const job = await context.waitForJob('slack-events', id);

    expect(job.returnvalue).toEqual({ responded: true, command: '/conveyor', deduplicated: false });
    expect(slack.responses.filter((r) => r.id === 'cmd-1').map((r) => r.body)).toEqual([
      { response_type: 'ephemeral', text: 'Received `/conveyor status now`' },
    ]);
  });

  it('pauses the workspace on a response_url 429, then answers once without spending an attempt', async () => {
    slack.fail('response_url', { kind: 'rate-limit', retryAfterSec: 1 });
    const command = slashCommand(slack.responseUrl('cmd-429'), '/conveyor', 'later');
    const job = await context.waitForJob(
      'slack-events',
      await context.enqueue('slack-events', command, 'slash_command'),
    );

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBeGreaterThanOrEqual(2);
    const limitedAt = slack.callsOf('response_url').find((c) => c.status === 429)?.at ?? 0;
    const answers = slack.responses.filter((r) => r.id === 'cmd-429');
    expect(answers).toHaveLength(1);
    expect(answers[0]?.receivedAt ?? 0).toBeGreaterThanOrEqual(limitedAt + 950);
  });

  it('sends a response_url that Slack refuses (404) to dead letters after one attempt', async () => {
    slack.fail('response_url', { kind: 'http', status: 404 });
    const command = slashCommand(slack.responseUrl('cmd-expired'), '/conveyor');
    const id = await context.enqueue('slack-events', command, 'slash_command');
    const job = await context.waitForJob('slack-events', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect((await deadLetterOf(id))?.failedReason).toContain('HTTP 404');
  });

  it('refuses a response_url that is not Slack', async () => {
    const command = slashCommand('http://127.0.0.2:9/steal', '/conveyor');
    const id = await context.enqueue('slack-events', command, 'slash_command');
    const job = await context.waitForJob('slack-events', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect((await deadLetterOf(id))?.failedReason).toContain('is not a Slack URL');
  });

  it('completes unknown event types and interactions as ignored', async () => {
    const reaction = eventEnvelope({ type: 'reaction_added', user: 'U1', reaction: 'tada' });
    const interaction = { type: 'block_actions', user: { id: 'U1' }, actions: [] };
    const ids = [
      await context.enqueue('slack-events', reaction),
      await context.enqueue('slack-events', interaction, 'interaction'),
    ];
    for (const id of ids) {
      const job = await context.waitForJob('slack-events', id);
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toMatchObject({ ignored: true });
    }
  });
});

describe('health and metrics server', () => {
  it('serves /healthz, /readyz and /metrics with the documented metric names', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', problems: [] });

    await context.enqueue('slack-events', appMention({ channel: 'C-METRICS' }));
    await waitFor(() => slack.messagesIn('C-METRICS').length === 1, {
      description: 'the reply',
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const series of [
      /conveyor_jobs_completed_total\{queue="slack-events",app="worker"\} [1-9]/,
      /conveyor_job_duration_seconds_count\{app="worker",queue="slack-events"\} [1-9]/,
      /# TYPE conveyor_jobs_failed_total counter/,
      /# TYPE conveyor_dead_letters_total counter/,
    ]) {
      expect(text).toMatch(series);
    }
    // Redis-wide gauges come from the API alone: every worker exporting them would multiply them.
    expect(text).not.toMatch(/conveyor_(queue|dead_letter)_/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('serves /metrics that pass `promtool check metrics`', async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(text).toContain('conveyor_jobs_completed_total');
    expect(await promtoolCheckMetrics(text)).toEqual({
      code: 0,
      output: '',
    });
  });
});

describe('without SLACK_BOT_TOKEN', () => {
  let tokenless: TestContext;

  beforeAll(async () => {
    tokenless = await TestContext.create({ SLACK_API_URL: slack.apiUrl });
    await tokenless.startWorker({ env: { WORKER_QUEUES: 'slack-events' } });
  });
  afterAll(() => tokenless?.close());

  it('fails mention replies unrecoverably with a clear message, still answers commands', async () => {
    const mentionId = await tokenless.enqueue('slack-events', appMention({ channel: 'C-NOTOKEN' }));
    const mention = await tokenless.waitForJob('slack-events', mentionId);
    expect(await mention.getState()).toBe('failed');
    expect(mention.attemptsMade).toBe(1);
    const letter = await tokenless.producer
      .deadLetters('slack-events')
      .get(`slack-events-${mentionId}`);
    expect(letter?.failedReason).toContain('SLACK_BOT_TOKEN is not set');

    const commandId = await tokenless.enqueue(
      'slack-events',
      slashCommand(slack.responseUrl('cmd-notoken')),
      'slash_command',
    );
    expect((await tokenless.waitForJob('slack-events', commandId)).returnvalue).toMatchObject({
      responded: true,
    });
  });
});

describe('a 429 with two workers', () => {
  let shared: TestContext;
  let workers: InProcessWorker[];

  beforeAll(async () => {
    shared = await TestContext.create({ SLACK_API_URL: slack.apiUrl, SLACK_BOT_TOKEN: 'xoxb-2' });
    workers = [
      await shared.startWorker({ env: { WORKER_QUEUES: 'slack-events' } }),
      await shared.startWorker({ env: { WORKER_QUEUES: 'slack-events' } }),
    ];
  });
  afterAll(() => shared?.close());

  it('pauses the workspace in every worker, not only in the one that was told', async () => {
    // No limiter counts their jobs: the pause is the workspace's (tenant's), not the queue's.
    for (const worker of workers) {
      expect(worker.app.worker('slack-events')?.opts.limiter).toBeUndefined();
    }
    slack.fail('chat.postMessage', { kind: 'rate-limit', retryAfterSec: 2 });
    const first = await shared.enqueue('slack-events', appMention({ channel: 'C-PAUSE' }));
    await waitFor(
      () =>
        slack
          .callsOf('chat.postMessage')
          .find((c) => c.params.channel === 'C-PAUSE' && c.status === 429),
      { description: 'the 429' },
    );
    // The pause is in force from the moment it is in Redis, not from when Slack answered: the
    // window below is one in which the workspace's pause is known to exist.
    const queue = shared.producer.queue('slack-events');
    const pauseKey = tenantKeys.limited(queue, String(appMention().team_id));
    const pause = await waitFor(
      async () => {
        const until = Number(await shared.producerConnection.get(pauseKey));
        return until > Date.now() ? { from: Date.now(), until } : undefined;
      },
      { description: "the workspace's pause in Redis", intervalMs: 5 },
    );
    expect(await queue.getRateLimitTtl()).toBeLessThanOrEqual(0);
    // Enqueued while paused: whichever worker is idle must wait too.
    const later = await Promise.all(
      [1, 2, 3].map(() => shared.enqueue('slack-events', appMention({ channel: 'C-PAUSE' }))),
    );
    await Promise.all([first, ...later].map((id) => shared.waitForJob('slack-events', id)));

    const calls = slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C-PAUSE');
    const duringPause = calls.filter((c) => c.at >= pause.from && c.at < pause.until);
    expect(duringPause).toEqual([]);
    // Every job enqueued during the pause waited for its end, in whichever worker took it.
    const replies = calls.filter((c) => c.status === 200);
    expect(replies).toHaveLength(4);
    expect(replies.every((c) => c.at >= pause.until - 1)).toBe(true);
    expect(slack.messagesIn('C-PAUSE')).toHaveLength(4);
  });
});

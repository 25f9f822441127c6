import { fileURLToPath, pathToFileURL } from 'node:url';
import { deadLetterId } from '@conveyor/queues';
import { FakeSlack, waitFor } from '@conveyor/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appMention } from './support/slack-payloads.js';
import { TestContext } from './support/test-context.js';

/** Preload that kills the worker right after BullMQ fails a job for good. */
const DIE_ON_FINAL_FAILURE = pathToFileURL(
  fileURLToPath(new URL('./support/die-on-final-failure.mjs', import.meta.url)),
).href;
const SWEPT = 'recorded by the sweep';
/** The sweep's default settle time: it ends this long before it starts. */
const SETTLE_MS = 5000;

let slack: FakeSlack;

beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.stop();
});

describe('dead-letter sweep', () => {
  it('a worker killed between failing a job for good and copying it: later workers record it once', {
    timeout: 90_000,
  }, async () => {
    const context = await TestContext.create({
      WORKER_QUEUES: 'slack-events',
      WORKER_MAX_STALLED_COUNT: '0',
      WORKER_DEAD_LETTER_SWEEP_INTERVAL_MS: '300',
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-sweep',
      LOG_LEVEL: 'info',
    });
    const redis = new Redis(inject('redisUrl'));
    try {
      // A takes the job and is killed with its reply in flight: the job stalls.
      slack.fail('chat.postMessage', { kind: 'accept-then-hold' });
      const a = context.spawnWorker('worker-sweep-a');
      const id = await context.enqueue('slack-events', appMention({ channel: 'C-SWEEP' }));
      await waitFor(() => slack.messagesIn('C-SWEEP').length === 1, {
        timeoutMs: 20_000,
        description: 'the reply to be in flight',
      });
      a.kill('SIGKILL');
      await a.exited;

      // B fails the stalled job for good and dies before its `failed` listener runs.
      const b = context.spawnWorker('worker-sweep-b', {
        NODE_OPTIONS: `--import=${DIE_ON_FINAL_FAILURE}`,
      });
      expect((await b.exited).signal).toBe('SIGKILL');
      const job = await context.waitForJob('slack-events', id, { timeoutMs: 1000 });
      expect(await job.getState()).toBe('failed');
      const deadLetters = context.producer.deadLetters('slack-events');
      expect(await deadLetters.count()).toBe(0);

      // C and D start together; their sweeps find the job, and copy it once.
      const c = context.spawnWorker('worker-sweep-c');
      const d = context.spawnWorker('worker-sweep-d');
      const letter = await waitFor(() => deadLetters.get(deadLetterId('slack-events', id)), {
        timeoutMs: 30_000,
        description: 'the swept dead letter',
      });
      expect(letter).toMatchObject({
        queue: 'slack-events',
        jobId: id,
        name: 'app_mention',
        data: job.data,
        failedReason: job.failedReason,
        attemptsMade: 1,
        unrecoverable: true,
        failedAt: new Date(job.finishedOn ?? 0).toISOString(),
      });
      expect(letter.failedReason).toContain('stalled more than allowable limit');

      // A sweep that started after the copy has finished: the others had their chance too.
      const seenAt = Date.now();
      const watermarkKey = deadLetters.queue.toKey('sweep-watermark');
      await waitFor(
        async () => Number(await redis.get(watermarkKey)) > seenAt - SETTLE_MS || undefined,
        { timeoutMs: 20_000, description: 'a later sweep to finish' },
      );
      expect(await deadLetters.count()).toBe(1);
      const sweptLines = [c, d].flatMap((child) =>
        child
          .output()
          .split('\n')
          .filter((line) => line.includes(SWEPT)),
      );
      expect(sweptLines).toHaveLength(1);
      expect(sweptLines[0]).toContain(`"jobId":"${id}"`);
    } finally {
      redis.disconnect();
      await context.close();
    }
  });
});

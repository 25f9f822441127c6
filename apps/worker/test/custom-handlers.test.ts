import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../src/handlers/job-handler.js';
import { slackEventHandler } from '../src/slack/slack-event-handler.js';
import { eventEnvelope } from './support/slack-payloads.js';
import { type InProcessWorker, logsWithMessage, TestContext } from './support/test-context.js';

describe('handlers a team adds without touching the runtime', () => {
  let context: TestContext;
  let worker: InProcessWorker;
  const seen: string[] = [];

  beforeAll(async () => {
    context = await TestContext.create();
    worker = await context.startWorker({
      configureHandlers: (registry) => {
        registry.register(
          'slack-events',
          'reaction_added',
          slackEventHandler(async (envelope, _job, handlerContext) => {
            handlerContext.logger.info({ reaction: envelope.event.reaction }, 'reaction seen');
            seen.push(String(envelope.event.reaction));
            return { counted: true };
          }),
        );
        registry.register(
          'ingestion',
          'ingest',
          defineHandler({
            schema: z.object({ documentId: z.string(), source: z.unknown() }),
            async handle(data) {
              return { custom: data.documentId };
            },
          }),
          { replace: true },
        );
      },
    });
  });
  afterAll(() => context?.close());

  it('runs a new Slack event type through the same runtime (logger, metrics, retries)', async () => {
    const id = await context.enqueue(
      'slack-events',
      eventEnvelope({ type: 'reaction_added', user: 'U1', reaction: 'tada' }),
    );
    const job = await context.waitForJob('slack-events', id);
    expect(job.returnvalue).toEqual({ counted: true });
    expect(seen).toEqual(['tada']);
    expect(logsWithMessage(worker.logs, 'reaction seen')[0]).toMatchObject({
      queue: 'slack-events',
      jobId: id,
      job: 'reaction_added',
      attempt: 1,
    });
  });

  it('replaces a built-in handler', async () => {
    const id = await context.enqueue('ingestion', {
      documentId: 'custom',
      source: { kind: 'inline', text: 'x' },
    });
    expect((await context.waitForJob('ingestion', id)).returnvalue).toEqual({ custom: 'custom' });
  });

  it('fails a job name without a handler unrecoverably', async () => {
    const job = await context.producer.queue('ingestion').add('reindex', { documentId: 'x' });
    const done = await context.waitForJob('ingestion', String(job.id));
    expect(await done.getState()).toBe('failed');
    expect(done.attemptsMade).toBe(1);
    expect(done.failedReason).toBe('No handler for job "reindex" on queue ingestion');
  });

  it('fails invalid job data unrecoverably, naming the field', async () => {
    const job = await context.producer
      .queue('slack-events')
      .add('reaction_added', { type: 'event_callback', event: { type: 'reaction_added' } });
    const done = await context.waitForJob('slack-events', String(job.id));
    expect(await done.getState()).toBe('failed');
    expect(done.attemptsMade).toBe(1);
    expect(done.failedReason).toContain('event_id');
  });
});

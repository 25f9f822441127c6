import { type SlackEventCallback, slackEventCallbackSchema } from '@conveyor/queues';
import type { Job } from 'bullmq';
import type { z } from 'zod';
import type { HandlerContext } from '../handlers/handler-context.js';
import { defineHandler, type JobHandler } from '../handlers/job-handler.js';
import { isBotEvent } from './is-bot-event.js';

/** What a Slack handler returns for an event it chose not to act on. */
export interface IgnoredResult {
  ignored: true;
  reason: string;
}

/**
 * Builds the handler of one Events API event type: validates the envelope with `schema` (invalid
 * data is permanent) and completes events caused by bots as ignored before `handle` sees them.
 * The catalog checks only `type`, `event_id` and `event.type`, since Slack's event shapes differ
 * (`channel` is an object in `channel_created`, `user` in `team_join`): `schema` names the fields
 * this handler reads.
 * @param schema the envelope as this event type needs it; defaults to the catalog's envelope
 */
export function slackEventHandler<Result, Envelope extends SlackEventCallback = SlackEventCallback>(
  handle: (envelope: Envelope, job: Job, context: HandlerContext) => Promise<Result>,
  schema?: z.ZodType<Envelope>,
): JobHandler<Result | IgnoredResult> {
  return defineHandler({
    schema: schema ?? (slackEventCallbackSchema as unknown as z.ZodType<Envelope>),
    async handle(envelope: Envelope, job, context) {
      if (isBotEvent(envelope.event)) {
        context.logger.debug({ eventId: envelope.event_id }, 'ignoring an event from a bot');
        return { ignored: true, reason: 'sent by a bot' } as const;
      }
      return handle(envelope, job, context);
    },
  });
}

/**
 * The fallback of `slack-events`: event types nobody registered complete as ignored. It logs
 * nothing of its own: the job's completion line names the event type, and its stored result says
 * why it was ignored; asking for the job's logger would build a child logger per ignored event.
 */
export const ignoredEventHandler: JobHandler<IgnoredResult> = {
  async handle(job) {
    return { ignored: true, reason: `no handler for ${job.name}` };
  },
};

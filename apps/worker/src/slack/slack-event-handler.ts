import { type SlackEventCallback, slackEventCallbackSchema } from '@conveyor/queues';
import type { Job } from 'bullmq';
import type { HandlerContext } from '../handlers/handler-context.js';
import { defineHandler, type JobHandler } from '../handlers/job-handler.js';
import { isBotEvent } from './is-bot-event.js';

/** What a Slack handler returns for an event it chose not to act on. */
export interface IgnoredResult {
  ignored: true;
  reason: string;
}

/**
 * Builds the handler of one Events API event type: validates the envelope (invalid data is
 * permanent) and completes events caused by bots as ignored before `handle` sees them.
 */
export function slackEventHandler<Result>(
  handle: (envelope: SlackEventCallback, job: Job, context: HandlerContext) => Promise<Result>,
): JobHandler<Result | IgnoredResult> {
  return defineHandler({
    schema: slackEventCallbackSchema,
    async handle(envelope, job, context) {
      if (isBotEvent(envelope.event)) {
        context.logger.debug({ eventId: envelope.event_id }, 'ignoring an event from a bot');
        return { ignored: true, reason: 'sent by a bot' } as const;
      }
      return handle(envelope, job, context);
    },
  });
}

/** The fallback of `slack-events`: event types nobody registered complete as ignored. */
export const ignoredEventHandler: JobHandler<IgnoredResult> = {
  async handle(job, context) {
    context.logger.debug({ type: job.name }, 'no handler for this Slack event type; ignored');
    return { ignored: true, reason: `no handler for ${job.name}` };
  },
};

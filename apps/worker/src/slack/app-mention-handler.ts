import type { SlackEventCallback } from '@conveyor/queues';
import { InvalidJobDataError } from '../errors/invalid-job-data-error.js';
import { SlackRateLimitedError } from '../errors/slack-rate-limited-error.js';
import { SlackTokenMissingError } from '../errors/slack-token-missing-error.js';
import type { JobHandler } from '../handlers/job-handler.js';
import { attemptTag } from './attempt-tag.js';
import { type IgnoredResult, slackEventHandler } from './slack-event-handler.js';
import type { ThreadReplier } from './thread-replier.js';

/** What the `app_mention` handler returns. */
export interface AppMentionResult {
  replied: true;
  channel: string;
  threadTs: string;
  /** The reply's ts. */
  ts: string;
  /** True when an earlier attempt had posted the reply already. */
  deduplicated: boolean;
}

/** Options for {@link appMentionHandler}. */
export interface AppMentionHandlerOptions {
  /** Posts the reply; undefined when `SLACK_BOT_TOKEN` is not set. */
  replier: ThreadReplier | undefined;
  /**
   * The reply's text.
   * @defaultValue a short acknowledgement that quotes the mention
   */
  compose?: (event: SlackEventCallback['event']) => string;
}

/** The default reply: greets the author and quotes what they said, without the mention itself. */
export function defaultMentionReply(event: SlackEventCallback['event']): string {
  const said = (event.text ?? '').replace(/<@[A-Z0-9]+>/g, '').trim();
  const who = event.user ? `<@${event.user}>` : 'there';
  return said ? `Hi ${who}, you said: "${said.slice(0, 500)}"` : `Hi ${who}!`;
}

/**
 * `app_mention`: replies in the thread of the mention (`thread_ts` = `event.thread_ts ?? event.ts`),
 * once per `event_id`. A 429 pauses the queue for `Retry-After` without spending the attempt.
 */
export function appMentionHandler(
  options: AppMentionHandlerOptions,
): JobHandler<AppMentionResult | IgnoredResult> {
  const compose = options.compose ?? defaultMentionReply;
  return slackEventHandler(async (envelope, job, context): Promise<AppMentionResult> => {
    const { event } = envelope;
    if (!event.channel || !event.ts) {
      throw new InvalidJobDataError(context.queue, job.name, [
        'event.channel and event.ts are required to reply',
      ]);
    }
    if (!options.replier) throw new SlackTokenMissingError('reply to app_mention events');
    const threadTs = event.thread_ts ?? event.ts;
    try {
      const result = await options.replier.reply(
        {
          replyKey: envelope.event_id,
          channel: event.channel,
          threadTs,
          afterTs: event.ts,
          text: compose(event),
        },
        attemptTag(job),
        { retry: job.attemptsStarted > 1 },
      );
      if (result.deduplicated) {
        context.logger.info({ ts: result.ts }, 'reply was already posted; not posting again');
      }
      return {
        replied: true,
        channel: event.channel,
        threadTs,
        ts: result.ts,
        deduplicated: result.deduplicated,
      };
    } catch (error) {
      if (error instanceof SlackRateLimitedError) return context.rateLimitQueue(error.retryAfterMs);
      throw error;
    }
  });
}

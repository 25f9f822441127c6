import { slackEventCallbackSchema } from '@conveyor/queues';
import { type SlackWorkspace, slackWorkspaceOf } from '@conveyor/slack';
import { z } from 'zod';
import type { JobHandler } from '../handlers/job-handler.js';
import { attemptTag } from './delivery/attempt-tag.js';
import type { ThreadReplier } from './delivery/thread-replier.js';
import { type IgnoredResult, slackEventHandler } from './slack-event-handler.js';

/**
 * The fields of an `app_mention` envelope the handler reads. The catalog keeps Slack's envelope
 * as sent, so they are checked here: a reply needs a string `channel` and `ts`.
 */
export const appMentionEnvelopeSchema = slackEventCallbackSchema.extend({
  event: z.looseObject({
    type: z.string(),
    channel: z.string().min(1).max(64),
    ts: z.string().min(1).max(32),
    thread_ts: z.string().min(1).max(32).optional(),
    user: z.string().max(64).optional(),
    text: z.string().max(40_000).optional(),
  }),
});
export type AppMentionEnvelope = z.infer<typeof appMentionEnvelopeSchema>;
export type AppMentionEvent = AppMentionEnvelope['event'];

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
  /**
   * The replier that speaks with the bot token of the event's workspace; it throws a permanent
   * error when no token serves that workspace (see `SlackClients`).
   */
  replierFor: (workspace: SlackWorkspace) => Promise<ThreadReplier>;
  /**
   * The reply's text.
   * @defaultValue a short acknowledgement that quotes the mention
   */
  compose?: (event: AppMentionEvent) => string;
}

const SLACK_ID = /^[A-Z0-9]{1,64}$/;
const QUOTE_MAX_CHARS = 500;

/**
 * The default reply: greets the author and quotes what they said, as plain text. Mentions (of
 * the bot, of people, and broadcasts: `<!channel>`, `<!here>`, `<!everyone>`, user groups,
 * `@channel`) are left out, so a user cannot make the bot notify a channel, and what is left is
 * escaped (`& < >`), so links and markup in the text are shown, not followed.
 */
export function defaultMentionReply(event: AppMentionEvent): string {
  const said = quotable(event.text ?? '');
  const who = event.user && SLACK_ID.test(event.user) ? `<@${event.user}>` : 'there';
  return said ? `Hi ${who}, you said: "${said}"` : `Hi ${who}!`;
}

const escapeText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
// Slack sends the user's own `& < >` as these entities: decoded first, so they are not escaped twice.
const plainText = (text: string) =>
  escapeText(text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));

/** The user's text without mentions, escaped, at most {@link QUOTE_MAX_CHARS} characters. */
function quotable(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(/<([^<>]*)>/g)) {
    out += plainText(text.slice(last, match.index));
    // `<@U…>` people, `<!…>` broadcasts, groups and dates: dropped; links and channels: shown.
    if (!/^[@!]/.test(match[1] ?? '')) out += escapeText(match[0]);
    last = match.index + match[0].length;
  }
  out += plainText(text.slice(last));
  const quoted = out
    .replace(/(^|[^\w@.])@(channel|here|everyone)\b/gi, '$1')
    .trim()
    .slice(0, QUOTE_MAX_CHARS);
  // A cut through an entity would show its first half.
  return quoted.replace(/&[a-z]{0,3}$/, '').trim();
}

/**
 * `app_mention`: replies in the thread of the mention (`thread_ts` = `event.thread_ts ?? event.ts`),
 * once per `event_id`, with the bot token of the workspace the event came from.
 */
export function appMentionHandler(
  options: AppMentionHandlerOptions,
): JobHandler<AppMentionResult | IgnoredResult> {
  const compose = options.compose ?? defaultMentionReply;
  return slackEventHandler(async (envelope, job, context): Promise<AppMentionResult> => {
    const { event } = envelope;
    const replier = await options.replierFor(slackWorkspaceOf(envelope));
    const threadTs = event.thread_ts ?? event.ts;
    const result = await replier.reply(
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
  }, appMentionEnvelopeSchema);
}

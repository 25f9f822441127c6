import type { WebClient } from '@slack/web-api';
import { classifySlackAnswer } from './classify-slack-answer.js';
import type { ReplyLedger } from './reply-ledger.js';
import { sendOnce } from './send-once.js';
import { webApiAnswer } from './web-api-answer.js';

/** `metadata.event_type` of every reply the worker posts; how it finds its own replies again. */
export const REPLY_METADATA_EVENT_TYPE = 'conveyor_reply';

/** One reply to post in a thread. */
export interface ThreadReply {
  /** What makes the reply unique: the Slack `event_id` it answers. */
  replyKey: string;
  channel: string;
  /** The thread to reply in (`event.thread_ts ?? event.ts`). */
  threadTs: string;
  /** The message being answered; the reply can only come after it. */
  afterTs: string;
  text: string;
}

/** The outcome of {@link ThreadReplier.reply}. */
export interface ThreadReplyResult {
  /** The reply's message ts. */
  ts: string;
  /** True when an earlier attempt had already posted it and nothing was posted now. */
  deduplicated: boolean;
}

/** Options for {@link ThreadReplier}. */
export interface ThreadReplierOptions {
  client: WebClient;
  ledger: ReplyLedger;
  /**
   * Pages of `conversations.replies` read when checking for an earlier attempt's reply.
   * @defaultValue 10 (of 200 messages each)
   */
  maxPages?: number;
}

/**
 * Posts a reply in a Slack thread at most once per reply key, across retries, re-deliveries and
 * crashes.
 *
 * Design: {@link sendOnce} claims the key in the ledger before `chat.postMessage` and marks it
 * posted after. The reply carries message metadata naming its key. When an attempt finds a claim
 * left by an earlier one (killed mid-call, or the call failed without a clear answer), it does
 * not guess: it reads the thread (`conversations.replies` with `include_all_metadata`) and
 * posts only if no reply with its key is there. So a worker killed at any point never causes a
 * second post, provided Slack shows a message it accepted by the time the retry looks (seconds
 * later: the job's backoff or stall timeout).
 *
 * Needs the `chat:write` scope, and `channels:history` (`groups:history`, `im:history`,
 * `mpim:history` for other conversation types) for the check after an interrupted attempt.
 */
export class ThreadReplier {
  readonly #client: WebClient;
  readonly #ledger: ReplyLedger;
  readonly #maxPages: number;

  constructor(options: ThreadReplierOptions) {
    this.#client = options.client;
    this.#ledger = options.ledger;
    this.#maxPages = options.maxPages ?? 10;
  }

  /**
   * Posts `reply` unless it was posted before. `attempt` identifies this attempt's claim;
   * `options.retry` says an earlier attempt of the same job started (check Slack first).
   * @throws SlackPermanentError, SlackTransientError, SlackRateLimitedError,
   *   SlackReplyInProgressError
   */
  async reply(
    reply: ThreadReply,
    attempt: string,
    options: { retry?: boolean } = {},
  ): Promise<ThreadReplyResult> {
    const sent = await sendOnce(this.#ledger, {
      key: reply.replyKey,
      attempt,
      retry: options.retry ?? false,
      findSent: () => this.findPosted(reply),
      send: () => this.#post(reply),
    });
    return { ts: sent.receipt, deduplicated: sent.deduplicated };
  }

  /** Posts the reply, tagged with its key; resolves to its ts. */
  async #post(reply: ThreadReply): Promise<string> {
    try {
      const result = await this.#client.chat.postMessage({
        channel: reply.channel,
        thread_ts: reply.threadTs,
        text: reply.text,
        metadata: {
          event_type: REPLY_METADATA_EVENT_TYPE,
          event_payload: { reply_key: reply.replyKey },
        },
      });
      return result.ts ?? '';
    } catch (error) {
      throw classifySlackAnswer('chat.postMessage', webApiAnswer(error));
    }
  }

  /** The ts of a reply with this key already in the thread, if Slack shows one. */
  async findPosted(reply: ThreadReply): Promise<string | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < this.#maxPages; page++) {
      let result: Awaited<ReturnType<WebClient['conversations']['replies']>>;
      try {
        result = await this.#client.conversations.replies({
          channel: reply.channel,
          ts: reply.threadTs,
          oldest: reply.afterTs,
          include_all_metadata: true,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
      } catch (error) {
        throw classifySlackAnswer('conversations.replies', webApiAnswer(error));
      }
      for (const message of result.messages ?? []) {
        const metadata = message.metadata;
        if (
          metadata?.event_type === REPLY_METADATA_EVENT_TYPE &&
          (metadata.event_payload as Record<string, unknown> | undefined)?.reply_key ===
            reply.replyKey &&
          message.ts
        ) {
          return message.ts;
        }
      }
      cursor = result.response_metadata?.next_cursor;
      if (!cursor) return undefined;
    }
    return undefined;
  }
}

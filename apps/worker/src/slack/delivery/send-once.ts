import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackReplyInProgressError } from '../../errors/slack-reply-in-progress-error.js';
import type { ReplyLedger } from './reply-ledger.js';

/** One message to deliver at most once per key; see {@link sendOnce}. */
export interface OnceDelivery {
  /** What makes the message unique: the Slack `event_id` or `trigger_id` it answers. */
  key: string;
  /** This attempt's claim label (`attemptTag(job)`). */
  attempt: string;
  /**
   * Sends the message; resolves to its receipt (the message's ts), recorded in the ledger.
   * A SlackPermanentError or SlackRateLimitedError says nothing was delivered.
   */
  send: () => Promise<string>;
  /**
   * Asks Slack for the receipt of a message an earlier attempt sent, where Slack can be asked.
   * @defaultValue none: a message an interrupted attempt may have sent is sent again
   */
  findSent?: () => Promise<string | undefined>;
  /**
   * An earlier attempt of the job started: ask {@link findSent} even when the ledger has no
   * marker, which may have been lost (Redis's last unsynced second before a crash, or expired).
   * @defaultValue false
   */
  retry?: boolean;
}

/** The outcome of {@link sendOnce}. */
export interface OnceResult {
  /** The receipt of the message, sent now or before. */
  receipt: string;
  /** True when an earlier attempt had sent it and nothing was sent now. */
  deduplicated: boolean;
}

/**
 * Sends a message to Slack at most once per key across retries, re-deliveries and crashes, as
 * far as Slack can be asked: the claim / check / take-over / release sequence over the
 * {@link ReplyLedger}, for every kind of reply.
 *
 * An attempt that finds an earlier one's claim (killed mid-call, or its call failed without a
 * clear answer) asks Slack through `findSent` when it can, and sends only after taking the
 * claim over, so two overlapping runs of a job never both send. A definite "no" from Slack
 * (permanent, 429) releases the claim, since nothing was delivered; any other failure keeps
 * it, since the message may have arrived.
 * @throws SlackReplyInProgressError when another attempt took the claim meanwhile; whatever
 *   `send` or `findSent` throws
 */
export async function sendOnce(ledger: ReplyLedger, delivery: OnceDelivery): Promise<OnceResult> {
  const { key, attempt } = delivery;
  const seen = await ledger.claim(key, attempt);
  if (seen.state === 'posted') return { receipt: seen.ts, deduplicated: true };
  if (seen.state === 'uncertain' || delivery.retry) {
    const found = await delivery.findSent?.();
    if (found !== undefined) {
      await ledger.markPosted(key, found);
      return { receipt: found, deduplicated: true };
    }
    if (seen.state === 'uncertain' && !(await ledger.takeOver(key, seen.marker, attempt))) {
      throw new SlackReplyInProgressError(key);
    }
  }
  let receipt: string;
  try {
    receipt = await delivery.send();
  } catch (error) {
    if (error instanceof SlackPermanentError || error instanceof SlackRateLimitedError) {
      await ledger.release(key, attempt);
    }
    throw error;
  }
  await ledger.markPosted(key, receipt);
  return { receipt, deduplicated: false };
}

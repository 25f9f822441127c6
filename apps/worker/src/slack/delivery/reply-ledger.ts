import {
  CLAIM_REPLY_SCRIPT,
  COMPARE_AND_DELETE_SCRIPT,
  DEDUPE_WINDOW_MS,
  slackReplyKey,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';

/** What the ledger knows about one reply. */
export type ReplyState =
  | { state: 'new' }
  | { state: 'posted'; ts: string }
  | { state: 'uncertain'; marker: string };

/** Options for {@link ReplyLedger}. */
export interface ReplyLedgerOptions {
  /** A fail-fast (`admin` role) connection. */
  connection: RedisConnection;
  /** BullMQ key prefix; the ledger's keys live beside the queues' (same hash tag in Cluster). */
  prefix: string;
  /**
   * How long a marker is kept: as long as the API deduplicates Slack events.
   * @defaultValue 86400000 (24 h)
   */
  ttlMs?: number;
}

const POSTING = 'posting:';
const POSTED = 'posted:';

/**
 * Remembers, per reply key (a Slack `event_id`), whether a reply was posted, so that retries and
 * re-deliveries never post twice.
 *
 * A marker has two states. `posting:<attempt>` is written before the call to Slack and
 * `posted:<ts>` after Slack confirmed it. A marker left in `posting:` means an earlier attempt
 * died or failed while Slack may or may not have taken the message (the common crash: killed
 * during the HTTP call); the caller must then ask Slack before posting again. A marker written
 * only after the post would leave exactly that window open.
 *
 * Responsibilities:
 * - claim a reply for one attempt, atomically (two overlapping runs of a job cannot both post);
 * - record the posted message's ts;
 * - release a claim when Slack certainly did not post (a 4xx answer, a 429).
 */
export class ReplyLedger {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(options: ReplyLedgerOptions) {
    this.#connection = options.connection;
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs ?? DEDUPE_WINDOW_MS;
  }

  key(replyKey: string): string {
    return slackReplyKey(this.#prefix, replyKey);
  }

  /**
   * Claims `replyKey` for `attempt`. Returns `new` when claimed, or what an earlier attempt left:
   * `posted` (done, do nothing) or `uncertain` (check Slack, then {@link takeOver}).
   */
  async claim(replyKey: string, attempt: string): Promise<ReplyState> {
    const [claimed, current] = (await this.#connection.eval(
      CLAIM_REPLY_SCRIPT,
      1,
      this.key(replyKey),
      POSTING + attempt,
      '',
      String(this.#ttlMs),
    )) as [number, string];
    if (claimed === 1) return { state: 'new' };
    if (current.startsWith(POSTED)) return { state: 'posted', ts: current.slice(POSTED.length) };
    return { state: 'uncertain', marker: current };
  }

  /** Claims a key still holding the `uncertain` marker seen before; false if it changed since. */
  async takeOver(replyKey: string, seenMarker: string, attempt: string): Promise<boolean> {
    const [claimed] = (await this.#connection.eval(
      CLAIM_REPLY_SCRIPT,
      1,
      this.key(replyKey),
      POSTING + attempt,
      seenMarker,
      String(this.#ttlMs),
    )) as [number, string];
    return claimed === 1;
  }

  /** Records that the reply was posted as message `ts`. */
  async markPosted(replyKey: string, ts: string): Promise<void> {
    await this.#connection.set(this.key(replyKey), POSTED + ts, 'PX', this.#ttlMs);
  }

  /** Drops this attempt's claim: Slack certainly did not post, so a retry may post freely. */
  async release(replyKey: string, attempt: string): Promise<void> {
    await this.#connection.eval(
      COMPARE_AND_DELETE_SCRIPT,
      1,
      this.key(replyKey),
      POSTING + attempt,
    );
  }
}

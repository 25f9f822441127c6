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

// Claims the key for an attempt when it is free (or still holds `expected`), else reports it.
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {1, ''}
end
return {0, current}
`;

// Deletes the key only if it still holds this attempt's marker.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

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
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  }

  key(replyKey: string): string {
    return `${this.#prefix}:worker:slack-reply:${replyKey}`;
  }

  /**
   * Claims `replyKey` for `attempt`. Returns `new` when claimed, or what an earlier attempt left:
   * `posted` (done, do nothing) or `uncertain` (check Slack, then {@link takeOver}).
   */
  async claim(replyKey: string, attempt: string): Promise<ReplyState> {
    const [claimed, current] = (await this.#connection.eval(
      CLAIM,
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
      CLAIM,
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
    await this.#connection.eval(RELEASE, 1, this.key(replyKey), POSTING + attempt);
  }
}

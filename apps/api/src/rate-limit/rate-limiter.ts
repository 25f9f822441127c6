import { rateLimitKey } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Clock } from '../config/clock.js';

/** Length of one rate-limit window. */
export const WINDOW_MS = 60_000;

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /**
   * A fail-fast connection: the API's producer connection, so that the count leaves in the same
   * write as the request's own commands.
   */
  connection: RedisConnection;
  /** Key namespace: the queue prefix (hash-tagged under Cluster, so one slot holds it all). */
  prefix: string;
  /** Requests per client per minute; must be at least 1. */
  limitPerMinute: number;
  clock: Clock;
  /**
   * Told when a count could not be written to Redis (the limit then holds per process only).
   * @defaultValue ignore
   */
  onSyncError?: (error: unknown) => void;
}

/** The verdict for one request. */
export type RateLimitDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; limitPerMinute: number };

/** One client's counts in the current window, as this process knows them. */
interface WindowState {
  window: number;
  /** The window's total in Redis (every API process) as of the last write. */
  stored: number;
  /** Requests being added to Redis right now. */
  sending: number;
  /** Requests admitted here and not yet sent. */
  unsent: number;
}

const ALLOWED: RateLimitDecision = { allowed: true };

/**
 * A per-client fixed-window limit (requests per minute) shared by every API process through
 * Redis, without a Redis round trip on the request path.
 *
 * Each process decides locally from the window's total as Redis last reported it plus what it
 * admitted since, and writes its own admissions behind the requests: one `INCRBY`+`PEXPIRE`
 * per client at a time, which carries every request admitted while the previous write was in
 * flight. The reply brings the total of all processes. So the cost is a fraction of a round trip
 * per request, and the limit can be overshot only by what other processes admit within one
 * write's round trip.
 *
 * If Redis is unreachable the counts stay local (and are sent later): the limit still holds per
 * process, and enqueues answer 503 anyway.
 */
export class RateLimiter {
  readonly #windows = new Map<string, WindowState>();
  readonly #writes = new Set<Promise<void>>();

  readonly #options: RateLimiterOptions;
  constructor(options: RateLimiterOptions) {
    this.#options = options;
    if (!(options.limitPerMinute >= 1)) throw new RangeError('limitPerMinute must be at least 1');
  }

  /**
   * Counts `count` units (requests, or the jobs of a bulk) of `client` and says whether they may
   * proceed: all of them fit in what is left of the minute, or none is counted.
   */
  take(client: string, count = 1): RateLimitDecision {
    const now = this.#options.clock.now();
    const window = Math.floor(now / WINDOW_MS);
    let state = this.#windows.get(client);
    if (state === undefined || state.window !== window) {
      state = { window, stored: 0, sending: 0, unsent: 0 };
      this.#windows.set(client, state);
    }
    if (state.stored + state.sending + state.unsent + count > this.#options.limitPerMinute) {
      const retryAfterMs = (window + 1) * WINDOW_MS - now;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
        limitPerMinute: this.#options.limitPerMinute,
      };
    }
    state.unsent += count;
    if (state.sending === 0) this.#send(client, state);
    return ALLOWED;
  }

  /** Resolves once every count written so far has been answered (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes);
  }

  #send(client: string, state: WindowState): void {
    const count = state.unsent;
    state.unsent = 0;
    state.sending = count;
    const key = rateLimitKey(this.#options.prefix, client, state.window);
    const { connection } = this.#options;
    // Two plain commands, not a pipeline: both leave in one write all the same (the connection
    // coalesces a turn's writes), and a pipeline copies every script defined on the connection
    // (BullMQ's, on the producer's) per request.
    const write = connection
      .incrby(key, count)
      .then((total) => {
        state.stored = total;
        state.sending = 0;
        if (state.unsent > 0) this.#send(client, state);
      })
      .catch((error: unknown) => {
        state.sending = 0;
        state.unsent += count;
        this.#options.onSyncError?.(error);
      })
      .finally(() => {
        this.#writes.delete(write);
      });
    // Two windows: a late write into a window that just ended still expires. A failure is the
    // count's too, reported above.
    connection.pexpire(key, 2 * WINDOW_MS).catch(() => {});
    this.#writes.add(write);
  }
}

import type { Clock } from '../config/clock.js';

/** Length of one counting window. */
const WINDOW_MS = 60_000;
/** Addresses tracked at once; beyond it the oldest are forgotten (bounded memory under a scan). */
const MAX_ADDRESSES = 10_000;

/** Options for {@link AuthFailureThrottle}. */
export interface AuthFailureThrottleOptions {
  /** Failed attempts per source address per minute before it is refused; at least 1. */
  failuresPerMinute: number;
  clock: Clock;
}

/** Whether an address may try to authenticate now. */
export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: ThrottleDecision = { allowed: true };

/**
 * Slows down guessing of bearer secrets: counts failed attempts per source address in fixed
 * one-minute windows, and once an address reached the limit refuses all its attempts (a right
 * secret included, or guessing would still pay) until the window ends. In-process: each API
 * process counts on its own, so the fleet-wide limit is the limit times the processes, which
 * still turns a 16-character secret's search space into centuries.
 */
export class AuthFailureThrottle {
  readonly #failures = new Map<string, { window: number; count: number }>();

  readonly #options: AuthFailureThrottleOptions;
  constructor(options: AuthFailureThrottleOptions) {
    this.#options = options;
    if (!(options.failuresPerMinute >= 1)) {
      throw new RangeError('failuresPerMinute must be at least 1');
    }
  }

  /** Whether `address` may attempt now. */
  check(address: string): ThrottleDecision {
    const now = this.#options.clock.now();
    const window = Math.floor(now / WINDOW_MS);
    const entry = this.#failures.get(address);
    if (entry === undefined || entry.window !== window) return ALLOWED;
    if (entry.count < this.#options.failuresPerMinute) return ALLOWED;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)),
    };
  }

  /** Counts one failed attempt of `address`. */
  fail(address: string): void {
    const window = Math.floor(this.#options.clock.now() / WINDOW_MS);
    const entry = this.#failures.get(address);
    if (entry !== undefined && entry.window === window) {
      entry.count += 1;
      return;
    }
    this.#failures.delete(address);
    if (this.#failures.size >= MAX_ADDRESSES) this.#forgetOldest(window);
    // Re-inserted, so the map stays in order of each address's latest window.
    this.#failures.set(address, { window, count: 1 });
  }

  #forgetOldest(window: number): void {
    for (const [address, entry] of this.#failures) {
      if (entry.window === window && this.#failures.size < MAX_ADDRESSES) return;
      this.#failures.delete(address);
    }
  }
}

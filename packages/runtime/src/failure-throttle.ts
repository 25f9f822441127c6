/** Options for {@link FailureThrottle}. */
export interface FailureThrottleOptions {
  /**
   * Failures a key may have within one window; the next request is refused until it ends. At
   * least 1.
   * @defaultValue 10
   */
  maxFailures?: number;
  /**
   * Length of the window, counted from a key's first failure.
   * @defaultValue 60_000
   */
  windowMs?: number;
  /**
   * Keys remembered at once; past it the oldest is forgotten, so that a flood of addresses
   * cannot grow memory without bound.
   * @defaultValue 10_000
   */
  maxKeys?: number;
  /**
   * Time source, in milliseconds.
   * @defaultValue Date.now
   */
  now?: () => number;
}

interface FailureWindow {
  startedAt: number;
  failures: number;
}

/**
 * Slows down guessing of secrets (the API's bearer tokens, the dashboard's password): counts
 * failures per key (a source address, see `addressKey`) in a window that starts at the key's
 * first failure, and blocks a key with `maxFailures` failures until its window ends, so every key
 * gets the same full window and `Retry-After` is exact. Callers refuse a blocked key before
 * checking its secret, a right one included, or guessing would still pay.
 *
 * Memory of one process only: each process throttles on its own, so the fleet-wide limit is the
 * limit times the processes, which still turns a 16-character secret's search space into
 * centuries. Bounded: past `maxKeys` the oldest window is forgotten.
 */
export class FailureThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, FailureWindow>();

  constructor(options: FailureThrottleOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
    if (!(this.#maxFailures >= 1)) throw new RangeError('maxFailures must be at least 1');
    if (!(this.#windowMs >= 1)) throw new RangeError('windowMs must be at least 1');
  }

  /** Milliseconds until `key` may try again; 0 when it is not blocked. */
  blockedForMs(key: string): number {
    const window = this.#current(key);
    if (!window || window.failures < this.#maxFailures) return 0;
    return window.startedAt + this.#windowMs - this.#now();
  }

  /** Counts one failure for `key`. */
  recordFailure(key: string): void {
    const window = this.#current(key);
    if (window) {
      window.failures += 1;
      return;
    }
    if (this.#windows.size >= this.#maxKeys) this.#evictOldest();
    this.#windows.set(key, { startedAt: this.#now(), failures: 1 });
  }

  /** The key's window if it has not ended yet; an ended one is dropped. */
  #current(key: string): FailureWindow | undefined {
    const window = this.#windows.get(key);
    if (window && this.#now() - window.startedAt >= this.#windowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  #evictOldest(): void {
    // Map iteration follows insertion order, and a window is only ever inserted when it starts.
    const oldest = this.#windows.keys().next();
    if (!oldest.done) this.#windows.delete(oldest.value);
  }
}

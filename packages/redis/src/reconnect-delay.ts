/** Options for {@link reconnectDelay}. */
export interface ReconnectDelayOptions {
  /**
   * Delay before the first retry, in milliseconds.
   * @defaultValue 100
   */
  baseMs?: number;
  /**
   * Upper bound of any delay, in milliseconds.
   * @defaultValue 5000
   */
  capMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. @defaultValue Math.random */
  random?: () => number;
}

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed, half random, so a fleet
 * of workers that lost Redis together does not reconnect in lockstep. Never gives up: a worker
 * that stops retrying dies silently through a failover.
 */
export function reconnectDelay(attempt: number, options: ReconnectDelayOptions = {}): number {
  const { baseMs = 100, capMs = 5000, random = Math.random } = options;
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const step = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}

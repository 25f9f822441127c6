/** Where the app reads the time; tests pass a fake one to step through rate-limit windows. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

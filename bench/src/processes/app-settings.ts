import { randomBytes } from 'node:crypto';

/**
 * The environment the bench gives the real apps: production's defaults (`.env.example`,
 * Dockerfile) except where a bench needs otherwise, each exception said here.
 */
export const APP_SETTINGS = {
  /** Production's default level: the API logs one line per request, the worker one per job. */
  logLevel: 'info',
  /** As in the Dockerfile. */
  nodeEnv: 'production',
  /**
   * The rate limit stays on (its code runs and its counts go to Redis on every request), but
   * above what the load generator sends: the default 6,000 per minute would answer 429 within a
   * second and measure the limiter instead of the enqueue path.
   */
  rateLimitPerMinute: 100_000_000,
  /**
   * Two HTTP processes on the two cores (`API_PROCESSES`, Node's cluster): one process spends a
   * core on HTTP and JSON while Redis has spare time (the figures: `bench/results/latest.md`).
   * Not for the latency figures, which run production's default of one (see `latency.ts`).
   */
  apiProcesses: 2,
  /** `API_PROCESSES` of the latency figures: production's default, as the baseline's one. */
  latencyApiProcesses: 1,
} as const;

/** A fresh bearer secret for the run's one API client. */
export function newApiSecret(): string {
  return randomBytes(24).toString('hex');
}

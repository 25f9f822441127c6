import type { Job, JobsOptions } from 'bullmq';

/**
 * The job option that carries a job's deadline (epoch ms): BullMQ keeps options it does not
 * know with the job, so the worker reads it from the job it fetched, at no extra cost.
 */
const EXPIRES_AT = 'expiresAt';

/** Sets the deadline of a job enqueued now that must start within `expiresInMs`. */
export function setExpiry(opts: JobsOptions, expiresInMs: number, now = Date.now()): void {
  (opts as Record<string, unknown>)[EXPIRES_AT] = now + expiresInMs;
}

/** The job's deadline (epoch ms), or undefined when it has none. */
export function expiresAtOf(job: Pick<Job, 'opts'>): number | undefined {
  const value = (job.opts as Record<string, unknown>)[EXPIRES_AT];
  return typeof value === 'number' ? value : undefined;
}

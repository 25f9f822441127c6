import { type Job, UnrecoverableError } from 'bullmq';

/**
 * True when this failure ends the job: it was marked unrecoverable, or it was the last attempt.
 * `attemptsMade` counts the attempts before the current one while a job runs.
 */
export function isFinalFailure(job: Job, error: unknown): boolean {
  if (error instanceof UnrecoverableError) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';

/** A label unique to one attempt of one job, for reply claims: `<job id>/<start #>/<random>`. */
export function attemptTag(job: Job): string {
  return `${job.id}/${job.attemptsStarted}/${randomUUID().slice(0, 8)}`;
}

import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * The job's data does not match what its handler accepts. Retrying cannot change the data, so
 * the job goes straight to dead letters, where it can be fixed and replayed.
 */
export class InvalidJobDataError extends withCode(UnrecoverableError) {
  readonly code = 'INVALID_JOB_DATA';

  constructor(
    readonly queue: string,
    readonly jobName: string,
    readonly issues: string[],
  ) {
    super(`Invalid data for job "${jobName}" on ${queue}: ${issues.join('; ')}`);
    this.name = 'InvalidJobDataError';
  }
}

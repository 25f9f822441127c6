import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/** Ends a job that was not started by its deadline: never run, recorded as a dead letter. */
export class JobExpiredError extends withCode(UnrecoverableError) {
  readonly code = 'JOB_EXPIRED';

  constructor(readonly expiresAt: number) {
    super(`expired: not started by ${new Date(expiresAt).toISOString()}`);
    this.name = 'JobExpiredError';
  }
}

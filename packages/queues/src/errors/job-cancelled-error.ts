import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * Ends a job that was cancelled over the API: unrecoverable, so BullMQ never retries it, and
 * never recorded as a dead letter.
 */
export class JobCancelledError extends withCode(UnrecoverableError) {
  readonly code = 'JOB_CANCELLED';

  constructor() {
    super('cancelled');
    this.name = 'JobCancelledError';
  }
}

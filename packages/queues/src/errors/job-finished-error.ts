import { CodedError } from '@conveyor/errors';
/** The job already ended (completed, failed, cancelled or expired): nothing to cancel. */
export class JobFinishedError extends CodedError {
  readonly code = 'JOB_FINISHED';

  constructor(
    readonly queue: string,
    readonly id: string,
    readonly state: string,
  ) {
    super(`Job ${JSON.stringify(id)} of queue ${queue} has already ended: ${state}`);
    this.name = 'JobFinishedError';
  }
}

import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/** No handler is registered for this job name on its queue, and the queue has no fallback. */
export class UnknownJobError extends withCode(UnrecoverableError) {
  readonly code = 'UNKNOWN_JOB';

  constructor(
    readonly queue: string,
    readonly jobName: string,
  ) {
    super(`No handler for job "${jobName}" on queue ${queue}`);
    this.name = 'UnknownJobError';
  }
}

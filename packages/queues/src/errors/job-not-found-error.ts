import { CodedError } from '@conveyor/errors';
/** No job (or dead letter) with that id. */
export class JobNotFoundError extends CodedError {
  readonly code = 'JOB_NOT_FOUND';

  constructor(
    readonly queue: string,
    readonly id: string,
  ) {
    super(`No job ${JSON.stringify(id)} in queue ${queue}`);
    this.name = 'JobNotFoundError';
  }
}

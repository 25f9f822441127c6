/** No job (or dead letter) with that id. Maps to HTTP 404. */
export class JobNotFoundError extends Error {
  readonly code = 'JOB_NOT_FOUND';

  constructor(
    readonly queue: string,
    readonly id: string,
  ) {
    super(`No job ${JSON.stringify(id)} in queue ${queue}`);
    this.name = 'JobNotFoundError';
  }
}

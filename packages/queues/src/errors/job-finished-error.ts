/** The job already ended (completed, failed, cancelled or expired): nothing to cancel. HTTP 409. */
export class JobFinishedError extends Error {
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

import { CodedError } from '@conveyor/errors';
/** The queue is not in the catalog. */
export class UnknownQueueError extends CodedError {
  readonly code = 'UNKNOWN_QUEUE';

  constructor(
    readonly queue: string,
    known: readonly string[],
  ) {
    super(`Unknown queue ${JSON.stringify(queue)}; known queues: ${known.join(', ')}`);
    this.name = 'UnknownQueueError';
  }
}

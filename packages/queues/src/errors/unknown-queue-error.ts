/** The queue is not in the catalog. Maps to HTTP 404. */
export class UnknownQueueError extends Error {
  readonly code = 'UNKNOWN_QUEUE';

  constructor(
    readonly queue: string,
    known: readonly string[],
  ) {
    super(`Unknown queue ${JSON.stringify(queue)}; known queues: ${known.join(', ')}`);
    this.name = 'UnknownQueueError';
  }
}

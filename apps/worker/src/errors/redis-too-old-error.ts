/** The Redis server is older than BullMQ supports; the worker refuses to start. */
export class RedisTooOldError extends Error {
  readonly code = 'REDIS_TOO_OLD';

  constructor(problems: string[]) {
    super(problems.join('; '));
    this.name = 'RedisTooOldError';
  }
}

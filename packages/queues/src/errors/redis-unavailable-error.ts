import { CodedError } from '@conveyor/errors';
/**
 * Redis could not store or read the data in time (down, frozen, failing over, out of memory).
 * Nothing was acknowledged: the caller should retry after a moment.
 */
export class RedisUnavailableError extends CodedError {
  readonly code = 'REDIS_UNAVAILABLE';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Redis is unavailable: ${reason}`, options);
    this.name = 'RedisUnavailableError';
  }
}

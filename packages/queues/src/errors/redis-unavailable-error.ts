/**
 * Redis could not store or read the data in time (down, frozen, failing over, out of memory).
 * Maps to HTTP 503 with `Retry-After`: the client should retry, nothing was acknowledged.
 */
export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Redis is unavailable: ${reason}`, options);
    this.name = 'RedisUnavailableError';
  }
}

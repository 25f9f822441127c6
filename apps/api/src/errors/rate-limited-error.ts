import { CodedError } from '@conveyor/errors';
/** The client used up its requests for the current minute. Maps to HTTP 429 with `Retry-After`. */
export class RateLimitedError extends CodedError {
  readonly code = 'RATE_LIMITED';

  constructor(
    readonly limitPerMinute: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      `Rate limit of ${limitPerMinute} requests per minute reached (a bulk counts each of its jobs); retry in ${retryAfterSeconds} s`,
    );
    this.name = 'RateLimitedError';
  }
}

import { CodedError } from '@conveyor/errors';
/**
 * Too many failed authentications from this source address in the current minute. Maps to HTTP
 * 429 with `Retry-After`; the credentials sent were not checked.
 */
export class AuthThrottledError extends CodedError {
  readonly code = 'AUTH_THROTTLED';

  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentications from this address; retry in ${retryAfterSeconds} s`);
    this.name = 'AuthThrottledError';
  }
}

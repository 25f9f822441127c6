import { CodedError } from '@conveyor/errors';
/** The request has no valid `Authorization: Bearer <secret>` header. Maps to HTTP 401. */
export class UnauthorizedError extends CodedError {
  readonly code = 'UNAUTHORIZED';

  constructor(reason: string) {
    super(`${reason}: send Authorization: Bearer <secret> with a secret from API_TOKENS`);
    this.name = 'UnauthorizedError';
  }
}

import { CodedError } from '@conveyor/errors';
/** The body's Content-Type (or Content-Encoding) is not the one the route reads. Maps to HTTP 415. */
export class UnsupportedMediaTypeError extends CodedError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';

  constructor(
    readonly expected: string,
    problem: string,
  ) {
    super(`${problem}; send ${expected}`);
    this.name = 'UnsupportedMediaTypeError';
  }
}

import { CodedError } from '@conveyor/errors';
/**
 * The request body is larger than the route accepts, refused before it is buffered. Maps to HTTP
 * 413 (and the connection is closed, since the rest of the body is not read).
 */
export class BodyTooLargeError extends CodedError {
  readonly code = 'BODY_TOO_LARGE';

  constructor(readonly limitBytes: number) {
    super(`Request body exceeds the limit of ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

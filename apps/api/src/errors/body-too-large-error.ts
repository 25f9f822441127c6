import { CodedError } from '@conveyor/errors';
/**
 * The request body is larger than the route accepts, refused before it is buffered. Maps to HTTP
 * 413. When the rest of the body is too large to be read and dropped (`drained` false), the
 * answer also closes the connection.
 */
export class BodyTooLargeError extends CodedError {
  readonly code = 'BODY_TOO_LARGE';
  /** The rest of the body is read and dropped, so the connection can serve another request. */
  readonly drained: boolean;

  constructor(
    readonly limitBytes: number,
    options: { drained?: boolean } = {},
  ) {
    super(`Request body exceeds the limit of ${limitBytes} bytes`);
    this.name = 'BodyTooLargeError';
    this.drained = options.drained ?? false;
  }
}

import { CodedError } from '@conveyor/errors';

/** A console request whose query or body is not what the endpoint takes. HTTP 400. */
export class ConsoleRequestError extends CodedError {
  readonly code = 'INVALID_REQUEST';

  constructor(message: string) {
    super(message);
    this.name = 'ConsoleRequestError';
  }
}

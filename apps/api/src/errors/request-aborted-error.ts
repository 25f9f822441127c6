import { CodedError } from '@conveyor/errors';
/** The client closed the connection before the body was complete. Nobody reads the answer. */
export class RequestAbortedError extends CodedError {
  readonly code = 'REQUEST_ABORTED';

  constructor() {
    super('The client closed the connection before sending the whole body');
    this.name = 'RequestAbortedError';
  }
}

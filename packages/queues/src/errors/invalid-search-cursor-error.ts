import { CodedError } from '@conveyor/errors';
/** A search cursor that no search answered. */
export class InvalidSearchCursorError extends CodedError {
  readonly code = 'INVALID_CURSOR';

  constructor() {
    super('Invalid cursor: pass the `next` of the previous page unchanged');
    this.name = 'InvalidSearchCursorError';
  }
}

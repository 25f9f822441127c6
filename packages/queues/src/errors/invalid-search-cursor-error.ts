/** A search cursor that no search answered. Maps to HTTP 400. */
export class InvalidSearchCursorError extends Error {
  readonly code = 'INVALID_CURSOR';

  constructor() {
    super('Invalid cursor: pass the `next` of the previous page unchanged');
    this.name = 'InvalidSearchCursorError';
  }
}

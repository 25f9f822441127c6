/** A search by a key the queue(s) searched are not indexed by. Maps to HTTP 400. */
export class UnknownSearchKeyError extends Error {
  readonly code = 'UNKNOWN_SEARCH_KEY';

  constructor(
    readonly key: string,
    readonly validKeys: readonly string[],
  ) {
    super(`Unknown search key ${JSON.stringify(key)}; valid keys: ${validKeys.join(', ')}`);
    this.name = 'UnknownSearchKeyError';
  }
}

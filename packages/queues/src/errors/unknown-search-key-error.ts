import { CodedError } from '@conveyor/errors';
/** A search by a key the queue(s) searched are not indexed by. */
export class UnknownSearchKeyError extends CodedError {
  readonly code = 'UNKNOWN_SEARCH_KEY';

  constructor(
    readonly key: string,
    readonly validKeys: readonly string[],
  ) {
    super(`Unknown search key ${JSON.stringify(key)}; valid keys: ${validKeys.join(', ')}`);
    this.name = 'UnknownSearchKeyError';
  }
}

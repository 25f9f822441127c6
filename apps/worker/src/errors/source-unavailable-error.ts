import { CodedError } from '@conveyor/errors';
/** The document source failed in a way that may pass: a 5xx, 408 or 429 status, a network error, a timeout. */
export class SourceUnavailableError extends CodedError {
  readonly code = 'INGEST_SOURCE_UNAVAILABLE';

  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot fetch ${url} right now: ${reason}`, options);
    this.name = 'SourceUnavailableError';
  }
}

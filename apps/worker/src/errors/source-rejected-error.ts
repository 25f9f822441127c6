import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * The document source answered in a way a retry will not change: a 4xx status (other than 408
 * and 429), too many redirects, a redirect to a non-HTTP URL.
 */
export class SourceRejectedError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_SOURCE_REJECTED';

  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`Cannot fetch ${url}: ${reason}`);
    this.name = 'SourceRejectedError';
  }
}

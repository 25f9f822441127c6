import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/** The document is larger than `INGEST_MAX_BYTES`. */
export class DocumentTooLargeError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_TOO_LARGE';

  constructor(readonly maxBytes: number) {
    super(`Document is larger than INGEST_MAX_BYTES (${maxBytes} bytes)`);
    this.name = 'DocumentTooLargeError';
  }
}

import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * Processing the document took its text thread past its heap limit (`INGEST_THREAD_MAX_HEAP_MB`).
 * The same document always would: retrying cannot help.
 */
export class DocumentOutOfMemoryError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_OUT_OF_MEMORY';

  constructor(readonly maxHeapMb: number) {
    super(
      `Processing the document needs more than the text thread's ${maxHeapMb} MB heap (INGEST_THREAD_MAX_HEAP_MB)`,
    );
    this.name = 'DocumentOutOfMemoryError';
  }
}

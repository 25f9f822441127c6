import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * An HTML document nests elements deeper than the extractor allows. The same document always
 * does: retrying cannot help.
 */
export class DocumentTooDeepError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_TOO_DEEP';

  constructor(readonly maxDepth: number) {
    super(`HTML nests elements more than ${maxDepth} levels deep`);
    this.name = 'DocumentTooDeepError';
  }
}

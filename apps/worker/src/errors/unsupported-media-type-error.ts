import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/** The document is not text/plain, text/markdown or text/html. */
export class UnsupportedMediaTypeError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_UNSUPPORTED_MEDIA_TYPE';

  constructor(
    readonly mediaType: string,
    allowed: readonly string[],
  ) {
    super(`Unsupported media type ${JSON.stringify(mediaType)}; supported: ${allowed.join(', ')}`);
    this.name = 'UnsupportedMediaTypeError';
  }
}

import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * The chunk sink's file system refused a write in a way no retry changes: a name or path too
 * long (`ENAMETOOLONG`) or invalid (`EINVAL`). Full disks and permissions stay retryable: an
 * operator can fix those while the job waits.
 */
export class SinkRejectedError extends withCode(UnrecoverableError) {
  readonly code = 'INGEST_SINK_REJECTED';

  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`Cannot write ${path}: ${cause.code ?? cause.message}`);
    this.name = 'SinkRejectedError';
    this.cause = cause;
  }
}

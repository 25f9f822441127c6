import { CodedError } from '@conveyor/errors';
/**
 * The per-document lock expired or was taken over while this attempt was working. It stops
 * before writing anything, and retries.
 */
export class LockLostError extends CodedError {
  readonly code = 'INGEST_LOCK_LOST';

  constructor(readonly documentId: string) {
    super(`Lost the ingestion lock of document ${documentId} before writing`);
    this.name = 'LockLostError';
  }
}

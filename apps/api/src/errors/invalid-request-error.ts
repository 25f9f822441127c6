import { CodedError } from '@conveyor/errors';
import type { PayloadIssue } from '@conveyor/queues';

/** A query parameter or header is invalid (paging, `Idempotency-Key`). Maps to HTTP 400. */
export class InvalidRequestError extends CodedError {
  readonly code = 'INVALID_REQUEST';

  constructor(readonly issues: PayloadIssue[]) {
    super(
      `Invalid request: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'InvalidRequestError';
  }
}

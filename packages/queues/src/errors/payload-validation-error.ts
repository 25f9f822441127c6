import { CodedError } from '@conveyor/errors';
/** One failing location in a submitted payload. */
export interface PayloadIssue {
  /** Dotted path, e.g. `data.source.url` or `jobs.3.data.documentId`. */
  path: string;
  message: string;
}

/** The payload does not match its queue's schema. */
export class PayloadValidationError extends CodedError {
  readonly code = 'INVALID_PAYLOAD';

  constructor(readonly issues: PayloadIssue[]) {
    super(
      `Invalid payload: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
    this.name = 'PayloadValidationError';
  }
}

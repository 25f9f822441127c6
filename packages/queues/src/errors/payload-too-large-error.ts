import { CodedError } from '@conveyor/errors';
/** A job's data is larger than the per-job limit. */
export class PayloadTooLargeError extends CodedError {
  readonly code = 'PAYLOAD_TOO_LARGE';

  constructor(
    readonly limitBytes: number,
    readonly index?: number,
  ) {
    super(
      `${index === undefined ? 'Job' : `Job ${index}`} data exceeds the limit of ${limitBytes} bytes: send a reference (URL, id) instead of the content`,
    );
    this.name = 'PayloadTooLargeError';
  }
}

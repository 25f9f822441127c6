import { CodedError } from '@conveyor/errors';
/**
 * The `Idempotency-Key` was already used by the same client, within the dedupe window, for a
 * different request: nothing was stored, and the earlier job is left as it is.
 */
export class IdempotencyKeyReusedError extends CodedError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor() {
    super(
      'This Idempotency-Key was already used for a different request within the last 24 hours: send the same request again, or use a new key',
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}

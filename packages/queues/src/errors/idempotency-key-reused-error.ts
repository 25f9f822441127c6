/**
 * The `Idempotency-Key` was already used by the same client, within the dedupe window, for a
 * different request. Maps to HTTP 409: nothing was stored, and the earlier job is left as it is.
 */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor() {
    super(
      'This Idempotency-Key was already used for a different request within the last 24 hours: send the same request again, or use a new key',
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}

import { CodedError } from '@conveyor/errors';
/**
 * Redis stored the write but fewer replicas than required confirmed it within the timeout (or the
 * connection changed before they could): worth a retry after a moment. Unlike
 * {@link RedisUnavailableError} the job may exist: a retry with the same `Idempotency-Key` (or
 * the same Slack `event_id`) returns it instead of storing it twice.
 */
export class ReplicaAckTimeoutError extends CodedError {
  readonly code = 'REPLICA_ACK_TIMEOUT';

  constructor(
    /** Replicas that had to confirm. */
    readonly required: number,
    /** Replicas that confirmed in time. */
    readonly acknowledged: number,
    readonly timeoutMs: number,
    reason = `${acknowledged} of ${required} replica(s) confirmed the write within ${timeoutMs} ms`,
  ) {
    super(
      `Not replicated: ${reason}. The job may be stored; retry with the same Idempotency-Key (Slack: the same event_id) to get it without a duplicate`,
    );
    this.name = 'ReplicaAckTimeoutError';
  }
}

import type { RedisConnection } from '@conveyor/redis';
import { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
import { PayloadTooLargeError } from './errors/payload-too-large-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { toRedisFailure, withDeadline } from './redis-failure.js';
import { replicaAckFenceKey } from './redis-keys.js';
import { ReplicaAck, type ReplicaAckOptions } from './replica-ack.js';

/** Options for {@link WriteGuard}. */
export interface WriteGuardOptions {
  /** The connection the writes go through. */
  connection: RedisConnection;
  /** BullMQ key prefix (hash-tagged under Cluster); the replica-ack fence lives under it. */
  prefix: string;
  /** Upper bound of one write, connection wait included (before the replica wait is added). */
  timeoutMs: number;
  /** Largest job data, in bytes of JSON, for the error BullMQ's own size check turns into. */
  maxJobBytes: number;
  /**
   * Wait for this many replicas before answering.
   * @defaultValue undefined (answer once the master has it)
   */
  replicaAck?: ReplicaAckOptions | undefined;
}

/**
 * Runs every write of the producer (enqueue, bulk, replay) the same way.
 *
 * Responsibilities:
 * - fail fast with {@link RedisUnavailableError} when the connection is not ready, and when the
 *   write does not finish within its deadline: never report a job as stored that was not;
 * - with `replicaAck`, answer only once that many replicas have the write ({@link ReplicaAck});
 * - let the caller's own refusals through (too large, key reused, quota), and turn BullMQ's size
 *   error and Redis failures into this package's errors.
 */
export class WriteGuard {
  readonly #connection: RedisConnection;
  readonly #fenceKey: string;
  readonly #timeoutMs: number;
  readonly #maxJobBytes: number;
  readonly #replicaAck: ReplicaAck | undefined;

  constructor(options: WriteGuardOptions) {
    const { connection, replicaAck } = options;
    this.#connection = connection;
    this.#fenceKey = replicaAckFenceKey(options.prefix);
    this.#maxJobBytes = options.maxJobBytes;
    this.#replicaAck = replicaAck ? new ReplicaAck(connection, replicaAck) : undefined;
    // A write can queue behind another request's WAIT, then wait for its own.
    this.#timeoutMs = options.timeoutMs + 2 * (replicaAck?.timeoutMs ?? 0);
  }

  /**
   * Runs `operation` under the guard; `allowanceMs` lengthens its deadline for a write Redis
   * legitimately takes long over (see `JobStore.allowanceMs`).
   */
  async run<T>(operation: () => Promise<T>, allowanceMs = 0): Promise<T> {
    const status = this.#connection.status;
    if (status !== 'ready') throw new RedisUnavailableError(`not connected (connection ${status})`);
    try {
      const stored = this.#replicaAck
        ? this.#replicaAck.after(operation, (result) =>
            // A deduplicated answer names a job that may have been written by another process.
            [result]
              .flat()
              .some((each) => (each as { deduplicated?: boolean } | undefined)?.deduplicated)
              ? this.#fenceKey
              : undefined,
          )
        : operation();
      return await withDeadline(stored, this.#timeoutMs + allowanceMs);
    } catch (error) {
      if (
        error instanceof PayloadTooLargeError ||
        error instanceof IdempotencyKeyReusedError ||
        error instanceof QuotaExceededError
      ) {
        throw error;
      }
      if (error instanceof Error && /exceeds the limit/.test(error.message)) {
        throw new PayloadTooLargeError(this.#maxJobBytes);
      }
      throw toRedisFailure(error);
    }
  }
}

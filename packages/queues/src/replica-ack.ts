import type { RedisConnection } from '@conveyor/redis';
import type { Redis } from 'ioredis';
import { ReplicaAckTimeoutError } from './errors/replica-ack-timeout-error.js';
import { REPLICA_ACK_FENCE_TTL_MS } from './redis-keys.js';

/** Options for {@link ReplicaAck}. */
export interface ReplicaAckOptions {
  /** Replicas that must confirm each write (`WAIT numreplicas`); at least 1. */
  replicas: number;
  /** Longest wait for them (`WAIT timeout`), in milliseconds; at least 1. */
  timeoutMs: number;
}

interface PendingWait {
  /** The socket the WAIT was sent on. */
  stream: unknown;
  acks: Promise<number>;
}

/**
 * Confirms that writes made on one connection reached N replicas, with Redis `WAIT` on that same
 * connection (`WAIT` counts the replicas that have everything the connection wrote so far).
 *
 * Concurrent confirmations share one `WAIT` (group commit): while a `WAIT` blocks the connection
 * no other command on it runs, so one per write would serialise every enqueue behind a replica
 * round trip.
 */
export class ReplicaAck {
  private readonly connection: Redis;
  private pending: PendingWait | undefined;

  constructor(
    connection: RedisConnection,
    private readonly options: ReplicaAckOptions,
  ) {
    if ('nodes' in connection) {
      // WAIT would have to go to the node connection that carried the write, which ioredis's
      // Cluster picks internally; the configuration refuses this combination first.
      throw new RangeError('replica acknowledgement is not supported with Redis Cluster');
    }
    this.connection = connection;
    const { replicas, timeoutMs } = options;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new RangeError(`replicas must be a positive integer, got ${replicas}`);
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      // WAIT 0 would block forever.
      throw new RangeError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
    }
  }

  /**
   * Runs `write` (commands on the connection), then resolves with its result once the replicas
   * have everything it wrote. `WAIT` vouches only for this connection's own writes: when
   * `fenceKey` is given, a throwaway write to it goes first, so the replicas are also confirmed
   * to have everything written to the master before it, on any connection. Pass it when `write`
   * may have written nothing (a deduplicated enqueue answers with a job another process stored).
   * @throws ReplicaAckTimeoutError when fewer replicas confirm in time, or when the connection
   *   was replaced meanwhile (a WAIT on a new connection would vouch for nothing).
   */
  async after<T>(
    write: () => Promise<T>,
    fenceKey?: (result: T) => string | undefined,
  ): Promise<T> {
    const { replicas, timeoutMs } = this.options;
    const stream = this.connection.stream;
    const result = await write();
    const fence = fenceKey?.(result);
    // A plain SET is always replicated (a SET NX that finds the key is not).
    if (fence !== undefined) await this.connection.set(fence, '1', 'PX', REPLICA_ACK_FENCE_TTL_MS);
    const acknowledged = await this.wait(stream);
    if (this.connection.stream !== stream) {
      throw new ReplicaAckTimeoutError(
        replicas,
        0,
        timeoutMs,
        'the connection to Redis was replaced before the replicas confirmed the write',
      );
    }
    if (acknowledged < replicas)
      throw new ReplicaAckTimeoutError(replicas, acknowledged, timeoutMs);
    return result;
  }

  private wait(stream: unknown): Promise<number> {
    // Called once the write's reply has arrived. A WAIT on the same socket whose reply has not
    // (its promise settles one microtask after its reply is read, before the write's callers
    // resume) was sent after the write, since Redis answers a connection in order: it covers it.
    const pending = this.pending;
    if (pending !== undefined && pending.stream === stream) return pending.acks;
    const { replicas, timeoutMs } = this.options;
    const acks = this.connection.wait(replicas, timeoutMs);
    const sent: PendingWait = { stream: this.connection.stream, acks };
    this.pending = sent;
    const settle = () => {
      if (this.pending === sent) this.pending = undefined;
    };
    acks.then(settle, settle);
    return acks;
  }
}

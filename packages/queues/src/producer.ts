import type { RedisConnection } from '@conveyor/redis';
import { Queue } from 'bullmq';
import { ClientQuota } from './client-quota.js';
import type { DeadLetterQueue } from './dead-letter-queue.js';
import { DeadLetterQueues } from './dead-letter-queues.js';
import { DedupeMarkers } from './dedupe-markers.js';
import { UnknownQueueError } from './errors/unknown-queue-error.js';
import {
  type EnqueueOptions,
  type EnqueueResult,
  JobEnqueuer,
  type JobRequest,
} from './job-enqueuer.js';
import { isQueueName, QUEUE_CATALOG, QUEUE_NAMES, type QueueName } from './queue-catalog.js';
import { DEDUPE_WINDOW_MS } from './redis-keys.js';
import type { ReplicaAckOptions } from './replica-ack.js';
import { SearchIndex, type SearchIndexOptions } from './search/search-index.js';
import { WriteGuard } from './write-guard.js';

/** Options for {@link Producer}. */
export interface ProducerOptions {
  /** A fail-fast (`producer` role) connection; shared by every queue of the process. */
  connection: RedisConnection;
  /** BullMQ key prefix (hash-tagged under Cluster). */
  prefix: string;
  /**
   * Largest job data, in bytes of JSON.
   * @defaultValue 262144 (256 KiB)
   */
  maxJobBytes?: number;
  /**
   * How long an idempotency key or Slack `event_id` is remembered.
   * @defaultValue 86400000 (24 h)
   */
  dedupeWindowMs?: number;
  /**
   * Upper bound of one enqueue, connection wait included.
   * @defaultValue 2000
   */
  timeoutMs?: number;
  /**
   * Called with connection errors the queues report in the background (the request that hit
   * them has already been answered); typically a logger.
   * @defaultValue ignore
   */
  onError?: (error: Error, queue: string) => void;
  /**
   * Called when the marker that carries a dedupe window past retention could not be written
   * behind an answer (the job itself is stored); typically a logger's warn.
   * @defaultValue ignore
   */
  onMarkerError?: (error: Error, queue: string) => void;
  /**
   * When set, an enqueue (single, bulk, replay) resolves only once this many replicas have it
   * (Redis `WAIT` on the connection that wrote it), else throws `ReplicaAckTimeoutError`. Not
   * under Cluster. The deadline of an enqueue grows by twice its timeout.
   * @defaultValue undefined (answer once the master has it)
   */
  replicaAck?: ReplicaAckOptions;
  /**
   * How the search index sweeps entries of removed jobs, and where its errors go (an index write
   * that failed behind a stored job; typically a logger's warn).
   * @defaultValue {@link SearchIndexOptions} defaults, errors ignored
   */
  search?: SearchIndexOptions;
}

/**
 * The typed producer the apps use: one BullMQ Queue per catalog queue for the whole process, and
 * the roles that write to them.
 *
 * Responsibilities (each delegated to one class):
 * - enqueue one job or a bulk, validated through the catalog: {@link JobEnqueuer};
 * - deduplicate by `Idempotency-Key` (per client) and Slack `event_id` for 24 hours, also after
 *   retention removed the job: {@link DedupeMarkers};
 * - read dead letters and replay them: {@link DeadLetterQueues};
 * - fail fast with `RedisUnavailableError`, never report a job as stored that was not, and with
 *   `replicaAck` wait for replicas: {@link WriteGuard}.
 */
export class Producer {
  readonly #queues = new Map<QueueName, Queue>();
  readonly #deadLetters: DeadLetterQueues;
  readonly #enqueuer: JobEnqueuer;
  readonly #guard: WriteGuard;

  constructor(options: ProducerOptions) {
    const { connection, prefix } = options;
    const maxJobBytes = options.maxJobBytes ?? 256 * 1024;
    this.#guard = new WriteGuard({
      connection,
      prefix,
      maxJobBytes,
      timeoutMs: options.timeoutMs ?? 2000,
      replicaAck: options.replicaAck,
    });
    this.#enqueuer = new JobEnqueuer({
      connection,
      maxJobBytes,
      markers: new DedupeMarkers({
        connection,
        windowMs: options.dedupeWindowMs ?? DEDUPE_WINDOW_MS,
        onMarkerError: options.onMarkerError,
      }),
      quotas: new ClientQuota(connection, prefix),
      guard: this.#guard,
      search: new SearchIndex(options.search),
    });
    const onError = options.onError ?? (() => {});
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        connection,
        prefix,
        defaultJobOptions: QUEUE_CATALOG[name].defaultJobOptions,
      });
      queue.on('error', (error) => onError(error, name));
      this.#queues.set(name, queue);
    }
    this.#deadLetters = new DeadLetterQueues({ connection, prefix, onError });
  }

  /** The BullMQ queue of a catalog queue; throws {@link UnknownQueueError} for any other name. */
  queue(name: string): Queue {
    const queue = isQueueName(name) ? this.#queues.get(name) : undefined;
    if (!queue) throw new UnknownQueueError(name, QUEUE_NAMES);
    return queue;
  }

  /** The dead-letter queue of a catalog queue. */
  deadLetters(name: string): DeadLetterQueue {
    return this.#deadLetters.of(name);
  }

  /** Validates and stores one job ({@link JobEnqueuer.enqueue}). */
  async enqueue(
    queueName: string,
    request: JobRequest,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const queue = this.queue(queueName);
    return this.#enqueuer.enqueue(queue, queueName as QueueName, request, options);
  }

  /** Validates every job, then stores them together ({@link JobEnqueuer.enqueueBulk}). */
  async enqueueBulk(
    queueName: string,
    requests: JobRequest[],
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult[]> {
    const queue = this.queue(queueName);
    return this.#enqueuer.enqueueBulk(queue, queueName as QueueName, requests, options);
  }

  /** Replays a dead letter onto its origin queue; returns the new job's id. */
  async replayDeadLetter(queueName: string, id: string): Promise<string> {
    const origin = this.queue(queueName);
    return this.#guard.run(() => this.#deadLetters.replay(queueName, id, origin));
  }

  /** Closes the queues (not the shared connection, which its creator closes). */
  async close(): Promise<void> {
    await Promise.all([
      ...[...this.#queues.values()].map((queue) => queue.close()),
      this.#deadLetters.close(),
    ]);
  }
}

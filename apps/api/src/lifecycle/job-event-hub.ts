import {
  DEFAULT_READER_IDLE_MS,
  QueueEventReaders,
  type QueueName,
  withDeadline,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Job } from 'bullmq';
import { SubscriberLimitError } from '../errors/subscriber-limit-error.js';
import type { JobEvent } from './job-event.js';
import { toJobEvent } from './to-job-event.js';

/** Told of the events it subscribed to, and when the hub stops serving (shutdown). */
export interface JobEventListener {
  event(event: JobEvent): void;
  /** The hub is shutting down: answer with what is known and let go. */
  close(): void;
}

/** What a subscription holds: a request waiting for a final state, or an event stream. */
export type SubscriberKind = 'wait' | 'stream';

/** Options for {@link JobEventHub}. */
export interface JobEventHubOptions {
  /**
   * A `queue-events` role connection (retries forever, no command timeout), best created with
   * `lazyConnect`: each reader's QueueEvents duplicates it for its blocking read; itself it only
   * reads a stream's last id when a reader starts.
   */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /** Reads a job (bounded in time); used to tell a failed attempt that will be retried. */
  readJob: (queue: QueueName, id: string) => Promise<Job | undefined>;
  /** Most requests waiting with `waitMs` at once. */
  maxWaiters: number;
  /** Most open event streams at once. */
  maxStreams: number;
  /**
   * How long a queue's reader runs on with nobody subscribed to the queue or its jobs before it
   * stops (a burst of waits reuses it instead of opening a connection each).
   * @defaultValue {@link DEFAULT_READER_IDLE_MS}
   */
  readerIdleMs?: number;
  /**
   * Longest a subscription waits for its queue's reader to start (read the stream's last id);
   * past it the subscription fails with `RedisUnavailableError`.
   * @defaultValue 5000
   */
  startTimeoutMs?: number;
  /**
   * Connection or read errors, which the hub survives (QueueEvents reconnects by itself).
   * @defaultValue ignore
   */
  onError?: (error: Error, queue: QueueName) => void;
}

/** Jobs whose last reported failed attempt is remembered, so a postponed job is not "failed" again. */
const MAX_REMEMBERED_ATTEMPTS = 10_000;

/** BullMQ events that can become a {@link JobEvent}; the others are not listened to. */
const LISTENED_EVENTS = ['progress', 'completed', 'failed', 'delayed', 'waiting'] as const;

/**
 * The API process's one subscription to job events, fanned out in memory.
 *
 * Responsibilities:
 * - read a queue's events stream ({@link QueueEventReaders}: one BullMQ QueueEvents) only while
 *   someone listens to the queue or one of its jobs: started by the first subscriber from the
 *   stream's last id (so nothing after the subscription is missed), stopped
 *   {@link JobEventHubOptions.readerIdleMs} after the last one left. An idle API reads nothing,
 *   so workers draining a queue cost it no CPU;
 * - hand each event to the listeners of its job and of its queue, translated by `toJobEvent`;
 * - tell a failed attempt that will be retried from a job postponed by its handler (both leave
 *   `active` for `delayed` or `waiting`) by its stored attempt count, read only when someone
 *   listens;
 * - bound the number of waiting requests and of streams ({@link SubscriberLimitError}).
 */
export class JobEventHub {
  readonly #byJob = new Map<string, Set<JobEventListener>>();
  readonly #byQueue = new Map<QueueName, Set<JobEventListener>>();
  readonly #counts: Record<SubscriberKind, number> = { wait: 0, stream: 0 };
  readonly #reportedAttempts = new Map<string, number>();
  /** Per job, the delivery still waiting on a retry read: later events queue behind it. */
  readonly #inOrder = new Map<string, Promise<void>>();
  /** Held once per subscriber, of a job of the queue or of the whole queue. */
  readonly #readers: QueueEventReaders;
  #closing = false;
  readonly #options: JobEventHubOptions;

  constructor(options: JobEventHubOptions) {
    this.#options = options;
    this.#readers = new QueueEventReaders({
      connection: options.connection,
      prefix: options.prefix,
      events: LISTENED_EVENTS,
      onEvent: (queue, name, args) => this.#dispatch(queue as QueueName, name, args),
      idleMs: options.readerIdleMs,
      onError: (error, queue) => options.onError?.(error, queue as QueueName),
    });
  }

  /** Queues whose events are being read now. */
  get readingQueues(): QueueName[] {
    return this.#readers.reading as QueueName[];
  }

  /** Subscribers held now, by kind. */
  get size(): Readonly<Record<SubscriberKind, number>> {
    return { ...this.#counts };
  }

  /**
   * Tells `listener` of one job's events until the returned function is called; every event
   * written after the promise resolves is told.
   * @throws SubscriberLimitError when the limit of this kind is reached
   * @throws RedisUnavailableError when the queue's reader could not start in time
   */
  subscribeJob(
    queue: QueueName,
    jobId: string,
    kind: SubscriberKind,
    listener: JobEventListener,
  ): Promise<() => void> {
    return this.#add(queue, this.#byJob, jobKey(queue, jobId), kind, listener);
  }

  /**
   * Tells `listener` of every event of a queue until the returned function is called; every
   * event written after the promise resolves is told.
   * @throws SubscriberLimitError when the limit of streams is reached
   * @throws RedisUnavailableError when the queue's reader could not start in time
   */
  subscribeQueue(queue: QueueName, listener: JobEventListener): Promise<() => void> {
    return this.#add(queue, this.#byQueue, queue, 'stream', listener);
  }

  /** Closes every subscription (at shutdown, so that waits and streams end before HTTP drains). */
  closeSubscribers(): void {
    this.#closing = true;
    const listeners = [...this.#byJob.values(), ...this.#byQueue.values()].flatMap((set) => [
      ...set,
    ]);
    for (const listener of listeners) listener.close();
  }

  /** Closes the subscribers and the running readers, then the template connection. */
  async close(): Promise<void> {
    this.closeSubscribers();
    await this.#readers.close();
    this.#options.connection.disconnect();
  }

  async #add<K>(
    queue: QueueName,
    map: Map<K, Set<JobEventListener>>,
    key: K,
    kind: SubscriberKind,
    listener: JobEventListener,
  ): Promise<() => void> {
    const limit = kind === 'wait' ? this.#options.maxWaiters : this.#options.maxStreams;
    if (this.#counts[kind] >= limit) throw new SubscriberLimitError(kind, limit);
    let listeners = map.get(key);
    if (listeners === undefined) {
      listeners = new Set();
      map.set(key, listeners);
    }
    listeners.add(listener);
    this.#counts[kind] += 1;
    let subscribed = true;
    let holdsReader = false;
    const unsubscribe = () => {
      if (!subscribed) return;
      subscribed = false;
      this.#counts[kind] -= 1;
      const current = map.get(key);
      current?.delete(listener);
      if (current?.size === 0) map.delete(key);
      if (holdsReader) this.#readers.release(queue);
    };
    if (this.#closing) {
      queueMicrotask(() => listener.close());
      return unsubscribe;
    }
    holdsReader = true;
    try {
      await withDeadline(this.#readers.acquire(queue), this.#options.startTimeoutMs ?? 5000);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  #dispatch(queue: QueueName, name: string, args: Record<string, unknown>): void {
    const jobId = args.jobId;
    if (typeof jobId !== 'string') return;
    const forJob = this.#byJob.get(jobKey(queue, jobId));
    const forQueue = this.#byQueue.get(queue);
    if (forJob === undefined && forQueue === undefined) return;
    const event = toJobEvent(queue, { event: name, args });
    if (event === undefined) return;
    // A retry is told after a read of the job; the job's later events wait for it, so a client
    // never sees `progress` of the next attempt before the `failed` of the last one.
    const key = jobKey(queue, jobId);
    const before = this.#inOrder.get(key);
    if (before === undefined && event !== 'maybe-retry') {
      this.#deliver(event);
      return;
    }
    const run = () =>
      event === 'maybe-retry'
        ? this.#reportRetry(queue, jobId)
        : Promise.resolve(this.#deliver(event));
    const next = (before ?? Promise.resolve()).then(run, run);
    this.#inOrder.set(key, next);
    void next.finally(() => {
      if (this.#inOrder.get(key) === next) this.#inOrder.delete(key);
    });
  }

  #deliver(event: JobEvent): void {
    const listeners = [
      ...(this.#byJob.get(jobKey(event.queue, event.jobId)) ?? []),
      ...(this.#byQueue.get(event.queue) ?? []),
    ];
    for (const listener of listeners) listener.event(event);
  }

  /** Reports a failed attempt that will be retried, once per attempt. */
  async #reportRetry(queue: QueueName, jobId: string): Promise<void> {
    let job: Job | undefined;
    try {
      job = await this.#options.readJob(queue, jobId);
    } catch (error) {
      this.#options.onError?.(error as Error, queue);
      return;
    }
    if (job === undefined || !job.failedReason) return;
    const key = jobKey(queue, jobId);
    if (job.attemptsMade <= (this.#reportedAttempts.get(key) ?? 0)) return;
    this.#reportedAttempts.delete(key);
    this.#reportedAttempts.set(key, job.attemptsMade);
    if (this.#reportedAttempts.size > MAX_REMEMBERED_ATTEMPTS) {
      const oldest = this.#reportedAttempts.keys().next().value;
      if (oldest !== undefined) this.#reportedAttempts.delete(oldest);
    }
    this.#deliver({
      type: 'failed',
      queue,
      jobId,
      reason: job.failedReason,
      willRetry: true,
      attemptsMade: job.attemptsMade,
    });
  }
}

const jobKey = (queue: QueueName, jobId: string) => `${queue}\u0000${jobId}`;

import {
  DEFAULT_READER_IDLE_MS,
  deadLetterQueueName,
  QUEUE_NAMES,
  QueueEventReaders,
  type QueueName,
  withDeadline,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { QueueSnapshot } from './read-queue-snapshot.js';

/** A job state change the console follows. */
type JobChange = 'active' | 'completed' | 'failed';

/** What the console's page is told, as server-sent events. */
export type ConsoleEvent =
  | { type: 'snapshot'; snapshot: QueueSnapshot }
  | { type: 'job'; queue: QueueName; id: string; state: JobChange };

/** Most jobs followed at once; past it the oldest is dropped. */
const MAX_FOLLOWED = 10_000;
/** Changes of jobs not (yet) followed that are remembered. */
const MAX_RECENT_STATES = 2000;

/** The first (oldest) entry of an insertion-ordered collection. */
function first(values: Iterable<string>): string {
  for (const value of values) return value;
  return '';
}

/** A page's open event stream. */
export interface ConsoleListener {
  event(event: ConsoleEvent): void;
  /** The hub is shutting down. */
  close(): void;
}

/** Options for {@link ConsoleEventHub}. */
export interface ConsoleEventHubOptions {
  /**
   * A `queue-events` role connection (retries forever, no command timeout), best created with
   * `lazyConnect`: each queue's reader duplicates it for its blocking read.
   */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /**
   * How long the queues' readers run on once no page is open before they stop (a page reloaded
   * reuses them).
   * @defaultValue {@link DEFAULT_READER_IDLE_MS}
   */
  readerIdleMs?: number;
  /** Reads a catalog queue's snapshot (bounded in time by the caller). */
  readSnapshot: (queue: QueueName) => Promise<QueueSnapshot>;
  /**
   * Shortest time between two snapshots of one queue: events in between are folded into the
   * next one, so a busy queue costs one read per interval, whatever its throughput.
   * @defaultValue 1000
   */
  snapshotIntervalMs?: number;
  /**
   * Most open streams at once; past it {@link ConsoleEventHub.subscribe} returns undefined.
   * @defaultValue 64
   */
  maxListeners?: number;
  /**
   * Connection and read errors, which the hub survives (QueueEvents reconnects by itself).
   * @defaultValue ignore
   */
  onError?: (error: Error, queue: string) => void;
}

/** BullMQ events that change a queue's counts. */
const COUNT_EVENTS = [
  'added',
  'waiting',
  'active',
  'completed',
  'failed',
  'delayed',
  'removed',
  'paused',
  'resumed',
] as const;

/** Each stream the console reads: a catalog queue or its dead-letter queue. */
const STREAMS = new Map<string, { origin: QueueName; forwardJobs: boolean }>(
  QUEUE_NAMES.flatMap((queue) => [
    [queue, { origin: queue, forwardJobs: true }],
    [deadLetterQueueName(queue), { origin: queue, forwardJobs: false }],
  ]),
);

/**
 * The console's live feed: the queues' own event streams (BullMQ QueueEvents, one blocking XREAD
 * each), turned into fresh queue snapshots and job state changes fanned out to every open page.
 * Nothing is read while no page is open (the readers stop a while after the last page left),
 * and nothing runs on a timer while the queues are quiet.
 *
 * Responsibilities:
 * - read every catalog queue and its dead-letter queue while a page is open
 *   ({@link QueueEventReaders}), from the moment the page's subscription resolves;
 * - after any event that changes a queue's counts, send a new snapshot of it, at most one per
 *   interval per queue;
 * - forward the state changes of the jobs the console replayed or cancelled ({@link follow});
 * - bound the number of open streams.
 */
export class ConsoleEventHub {
  readonly #listeners = new Set<ConsoleListener>();
  /** Every stream's reader, held once per open page. */
  readonly #readers: QueueEventReaders;
  /** Per queue, the timer of its next snapshot, or null while one is being read. */
  readonly #pending = new Map<QueueName, ReturnType<typeof setTimeout> | null>();
  /** Queues that changed while their snapshot was being read. */
  readonly #dirty = new Set<QueueName>();
  readonly #lastSnapshot = new Map<QueueName, number>();
  /** Jobs whose changes are sent, as `queue/id`, oldest first. */
  readonly #followed = new Set<string>();
  /** The latest change of jobs not followed, newest last. */
  readonly #recentStates = new Map<string, JobChange>();
  readonly #intervalMs: number;
  readonly #maxListeners: number;
  #closed = false;

  constructor(private readonly options: ConsoleEventHubOptions) {
    this.#intervalMs = options.snapshotIntervalMs ?? 1000;
    this.#maxListeners = options.maxListeners ?? 64;
    this.#readers = new QueueEventReaders({
      connection: options.connection,
      prefix: options.prefix,
      events: COUNT_EVENTS,
      onEvent: (name, type, args) => this.#event(name, type, args),
      idleMs: options.readerIdleMs,
      onError: options.onError,
    });
  }

  /** Queues and dead-letter queues whose events are being read now. */
  get readingQueues(): string[] {
    return this.#readers.reading;
  }

  /**
   * Adds a listener once every queue's events written from now on will reach it (their readers
   * started for the first page); resolves to its unsubscribe, or to undefined when the hub is
   * full or closed.
   * @throws `RedisUnavailableError` when the readers could not start within `startTimeoutMs`
   */
  async subscribe(
    listener: ConsoleListener,
    startTimeoutMs = 5000,
  ): Promise<(() => void) | undefined> {
    if (this.#closed || this.#listeners.size >= this.#maxListeners) return undefined;
    this.#listeners.add(listener);
    let subscribed = true;
    const unsubscribe = () => {
      if (!subscribed) return;
      subscribed = false;
      this.#listeners.delete(listener);
      for (const name of STREAMS.keys()) this.#readers.release(name);
    };
    try {
      const started = Promise.all([...STREAMS.keys()].map((name) => this.#readers.acquire(name)));
      await withDeadline(started, startTimeoutMs);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Reads a snapshot of `queue` now. */
  snapshot(queue: QueueName): Promise<QueueSnapshot> {
    return this.options.readSnapshot(queue);
  }

  /**
   * Sends the listeners the state changes of job `id` of `queue` from now on (a job the console
   * replayed or cancelled), and its latest one at once if it already changed, until it completes
   * or fails. Other jobs' changes are not sent: a busy queue's stream carries snapshots only.
   */
  follow(queue: QueueName, id: string): void {
    const key = `${queue}/${id}`;
    this.#followed.delete(key);
    this.#followed.add(key);
    if (this.#followed.size > MAX_FOLLOWED) this.#followed.delete(first(this.#followed));
    const state = this.#recentStates.get(key);
    if (state) this.#jobChanged(queue, id, state);
  }

  #jobChanged(queue: QueueName, id: string, state: JobChange): void {
    const key = `${queue}/${id}`;
    if (!this.#followed.has(key)) {
      // Remembered a moment, for a follow() that comes after the change (a fast replay).
      this.#recentStates.delete(key);
      this.#recentStates.set(key, state);
      if (this.#recentStates.size > MAX_RECENT_STATES) {
        this.#recentStates.delete(first(this.#recentStates.keys()));
      }
      return;
    }
    this.#recentStates.delete(key);
    if (state !== 'active') this.#followed.delete(key);
    this.#send({ type: 'job', queue, id, state });
  }

  /** Sends every listener a snapshot of `queue` soon (after a replay or a cancel). */
  touch(queue: QueueName): void {
    this.#schedule(queue);
  }

  #event(name: string, type: string, args: Record<string, unknown>): void {
    const stream = STREAMS.get(name);
    if (stream === undefined) return;
    this.#schedule(stream.origin);
    if (!stream.forwardJobs || typeof args.jobId !== 'string') return;
    if (type === 'active' || type === 'completed' || type === 'failed') {
      this.#jobChanged(stream.origin, args.jobId, type);
    }
  }

  #schedule(queue: QueueName): void {
    if (this.#closed || this.#listeners.size === 0) return;
    if (this.#pending.has(queue)) {
      if (this.#pending.get(queue) === null) this.#dirty.add(queue);
      return;
    }
    const since = Date.now() - (this.#lastSnapshot.get(queue) ?? 0);
    const timer = setTimeout(() => this.#snapshot(queue), Math.max(this.#intervalMs - since, 0));
    this.#pending.set(queue, timer);
  }

  async #snapshot(queue: QueueName): Promise<void> {
    this.#pending.set(queue, null);
    this.#lastSnapshot.set(queue, Date.now());
    try {
      const snapshot = await this.options.readSnapshot(queue);
      this.#send({ type: 'snapshot', snapshot });
    } catch (error) {
      this.options.onError?.(error as Error, queue);
    } finally {
      this.#pending.delete(queue);
      // What changed during the read goes into the next snapshot, an interval later.
      if (this.#dirty.delete(queue)) this.#schedule(queue);
    }
  }

  #send(event: ConsoleEvent): void {
    for (const listener of this.#listeners) listener.event(event);
  }

  /** Ends every stream and stops reading the queues' events. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#pending.values()) if (timer) clearTimeout(timer);
    this.#pending.clear();
    for (const listener of this.#listeners) listener.close();
    this.#listeners.clear();
    await this.#readers.close();
  }
}

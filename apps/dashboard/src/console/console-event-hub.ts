import { deadLetterQueueName, QUEUE_NAMES, type QueueName } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { QueueEvents } from 'bullmq';
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
   * A `queue-events` role connection, best created with `lazyConnect`: each QueueEvents
   * duplicates it for its blocking read.
   */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /**
   * The id of the newest event of queue (or dead-letter queue) `name`, where its reader starts:
   * a QueueEvents left to itself reads from when its first blocking read reaches Redis, and
   * would miss what happens between the hub's start and then.
   * @defaultValue from when each reader connects
   */
  lastEventId?: (name: string) => Promise<string>;
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

/**
 * The console's live feed: the queues' own event streams (BullMQ QueueEvents, one blocking XREAD
 * each), turned into fresh queue snapshots and job state changes fanned out to every open page.
 * No snapshot is read while no page is open, and nothing runs on a timer while the queues are
 * quiet.
 *
 * Responsibilities:
 * - follow every catalog queue and its dead-letter queue from {@link ConsoleEventHub.start} on;
 * - after any event that changes a queue's counts, send a new snapshot of it, at most one per
 *   interval per queue;
 * - forward the state changes of the jobs the console replayed or cancelled ({@link follow});
 * - bound the number of open streams.
 */
export class ConsoleEventHub {
  readonly #listeners = new Set<ConsoleListener>();
  readonly #queueEvents: QueueEvents[] = [];
  #started: Promise<void> | undefined;
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
  }

  /** Adds a listener; returns its unsubscribe, or undefined when the hub is full or closed. */
  subscribe(listener: ConsoleListener): (() => void) | undefined {
    if (this.#closed || this.#listeners.size >= this.#maxListeners) return undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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

  /**
   * Starts reading every queue's events, once, at the process's start (from their newest event,
   * see `lastEventId`), so that nothing is missed between a page's first snapshots and its
   * updates.
   */
  start(): void {
    this.#started ??= Promise.all(
      QUEUE_NAMES.flatMap((queue) => [
        this.#read(queue, queue, true),
        this.#read(deadLetterQueueName(queue), queue, false),
      ]),
    ).then(() => {});
  }

  /** Resolves once every queue's event reader is connected. */
  async ready(): Promise<void> {
    this.start();
    await this.#started;
    await Promise.all(this.#queueEvents.map((events) => events.waitUntilReady()));
  }

  async #read(name: string, origin: QueueName, forwardJobs: boolean): Promise<void> {
    let lastEventId: string | undefined;
    try {
      lastEventId = await this.options.lastEventId?.(name);
    } catch (error) {
      // Redis is down at start: read from whenever the reader connects.
      this.options.onError?.(error as Error, name);
    }
    if (this.#closed) return;
    const events = new QueueEvents(name, {
      connection: this.options.connection,
      prefix: this.options.prefix,
      ...(lastEventId ? { lastEventId } : {}),
    });
    events.on('error', (error) => this.options.onError?.(error, name));
    for (const type of COUNT_EVENTS) events.on(type, () => this.#schedule(origin));
    if (forwardJobs) {
      for (const state of ['active', 'completed', 'failed'] as const) {
        events.on(state, ({ jobId }: { jobId: string }) => this.#jobChanged(origin, jobId, state));
      }
    }
    this.#queueEvents.push(events);
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
    // Not waiting for readers still starting (Redis down): they see #closed and start nothing.
    this.#closed = true;
    for (const timer of this.#pending.values()) if (timer) clearTimeout(timer);
    this.#pending.clear();
    for (const listener of this.#listeners) listener.close();
    this.#listeners.clear();
    await Promise.allSettled(this.#queueEvents.map((events) => events.close()));
  }
}

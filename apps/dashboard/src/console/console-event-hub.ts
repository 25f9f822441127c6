import { deadLetterQueueName, QUEUE_NAMES, type QueueName } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { QueueEvents } from 'bullmq';
import type { QueueSnapshot } from './read-queue-snapshot.js';

/** What the console's page is told, as server-sent events. */
export type ConsoleEvent =
  | { type: 'snapshot'; snapshot: QueueSnapshot }
  | { type: 'job'; queue: QueueName; id: string; state: 'active' | 'completed' | 'failed' };

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
 * - forward jobs becoming active, completed or failed (the page follows the jobs it replayed);
 * - bound the number of open streams.
 */
export class ConsoleEventHub {
  readonly #listeners = new Set<ConsoleListener>();
  readonly #queueEvents: QueueEvents[] = [];
  /** Per queue, the timer of its next snapshot, or null while one is being read. */
  readonly #pending = new Map<QueueName, ReturnType<typeof setTimeout> | null>();
  /** Queues that changed while their snapshot was being read. */
  readonly #dirty = new Set<QueueName>();
  readonly #lastSnapshot = new Map<QueueName, number>();
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

  /** Sends every listener a snapshot of `queue` soon (after a replay or a cancel). */
  touch(queue: QueueName): void {
    this.#schedule(queue);
  }

  /**
   * Starts reading every queue's events, once, at the process's start: a QueueEvents reads from
   * when it connects, so one started by the first page would miss what happens meanwhile.
   */
  start(): void {
    if (this.#queueEvents.length > 0) return;
    for (const queue of QUEUE_NAMES) {
      this.#follow(queue, queue, true);
      this.#follow(deadLetterQueueName(queue), queue, false);
    }
  }

  /** Resolves once every queue's event reader is connected. */
  async ready(): Promise<void> {
    await Promise.all(this.#queueEvents.map((events) => events.waitUntilReady()));
  }

  #follow(name: string, origin: QueueName, forwardJobs: boolean): void {
    const events = new QueueEvents(name, {
      connection: this.options.connection,
      prefix: this.options.prefix,
    });
    events.on('error', (error) => this.options.onError?.(error, name));
    for (const type of COUNT_EVENTS) events.on(type, () => this.#schedule(origin));
    if (forwardJobs) {
      for (const state of ['active', 'completed', 'failed'] as const) {
        events.on(state, ({ jobId }: { jobId: string }) =>
          this.#send({ type: 'job', queue: origin, id: jobId, state }),
        );
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
    this.#closed = true;
    for (const timer of this.#pending.values()) if (timer) clearTimeout(timer);
    this.#pending.clear();
    for (const listener of this.#listeners) listener.close();
    this.#listeners.clear();
    await Promise.allSettled(this.#queueEvents.map((events) => events.close()));
  }
}

import type { RedisConnection } from '@conveyor/redis';
import { QueueEvents, type QueueEventsListener } from 'bullmq';

/** Options for {@link QueueEventReaders}. */
export interface QueueEventReadersOptions {
  /**
   * A `queue-events` role connection (retries forever, no command timeout), best created with
   * `lazyConnect`: each reader's QueueEvents duplicates it for its blocking read; itself it only
   * reads a stream's last id when a reader starts. Its owner disconnects it.
   */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /** The BullMQ events listened to (`completed`, `progress`, ...); the others are not. */
  events: readonly (keyof QueueEventsListener)[];
  /** Told each listened event of queue `queue`, with BullMQ's arguments, in stream order. */
  onEvent: (queue: string, event: string, args: Record<string, unknown>) => void;
  /**
   * How long a queue's reader runs on once nobody holds it before it stops (a burst of short
   * subscriptions reuses it instead of opening a connection each).
   * @defaultValue {@link DEFAULT_READER_IDLE_MS}
   */
  idleMs?: number;
  /**
   * Connection or read errors, which the readers survive (QueueEvents reconnects by itself).
   * @defaultValue ignore
   */
  onError?: (error: Error, queue: string) => void;
}

/** Default of {@link QueueEventReadersOptions.idleMs}: 30 s. */
export const DEFAULT_READER_IDLE_MS = 30_000;

/** One queue's running QueueEvents, and when it stops for want of holders. */
interface Reader {
  /** Made once the stream's last id is known. */
  events?: QueueEvents;
  /** Resolves once the stream's last id is known: every later event will be read. */
  started: Promise<void>;
  idle?: NodeJS.Timeout;
}

/**
 * Reads queues' BullMQ events streams only while someone needs them, one QueueEvents (a blocking
 * XREAD on a connection of its own) per queue. A process nobody watches reads nothing, so
 * workers draining a queue cost it no CPU and no connection.
 *
 * Responsibilities:
 * - count the holders of each queue ({@link acquire} / {@link release});
 * - start a queue's reader for its first holder from the stream's last id (XREVRANGE), not from
 *   `$` once the blocking read reaches Redis: an event written between the acquire and that read
 *   is not missed;
 * - stop it {@link QueueEventReadersOptions.idleMs} after its last holder left, and let a failed
 *   start be tried again by the next acquire;
 * - deliver each listened event once, even from a stopped reader still draining its last read.
 */
export class QueueEventReaders {
  readonly #readers = new Map<string, Reader>();
  readonly #holders = new Map<string, number>();
  readonly #options: QueueEventReadersOptions;
  #closed = false;

  constructor(options: QueueEventReadersOptions) {
    this.#options = options;
  }

  /** Queues whose events are being read now. */
  get reading(): string[] {
    return [...this.#readers.keys()];
  }

  /**
   * Holds `queue`'s reader, started if it is not running; resolves once every event written from
   * now on will be told. Every acquire, resolved or rejected, is paired with one {@link release}.
   * After {@link close} nothing starts and it resolves at once.
   */
  acquire(queue: string): Promise<void> {
    this.#holders.set(queue, (this.#holders.get(queue) ?? 0) + 1);
    if (this.#closed) return Promise.resolve();
    const running = this.#readers.get(queue);
    if (running === undefined) return this.#start(queue);
    clearTimeout(running.idle);
    running.idle = undefined;
    return running.started;
  }

  /** Lets go of `queue`'s reader; the last holder's release arms its idle stop. */
  release(queue: string): void {
    const left = (this.#holders.get(queue) ?? 1) - 1;
    if (left > 0) {
      this.#holders.set(queue, left);
      return;
    }
    this.#holders.delete(queue);
    const reader = this.#readers.get(queue);
    if (reader === undefined || this.#closed) return;
    clearTimeout(reader.idle);
    reader.idle = setTimeout(
      () => void this.#stop(queue),
      this.#options.idleMs ?? DEFAULT_READER_IDLE_MS,
    );
    reader.idle.unref();
  }

  /** Stops every reader; none starts after. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#readers.keys()].map((queue) => this.#stop(queue)));
  }

  #start(queue: string, fromId?: string): Promise<void> {
    const { connection, prefix, onError } = this.#options;
    // The QueueEvents (and so its blocking connection) is only made once Redis has answered the
    // XREVRANGE: BullMQ gives up for good on a blocking connection whose first connect fails.
    const reader: Reader = { started: Promise.resolve() };
    reader.started = (async () => {
      const lastEventId =
        fromId ??
        (await connection.xrevrange(`${prefix}:${queue}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ??
        '0-0';
      if (this.#readers.get(queue) !== reader) return;
      let lastRead = lastEventId;
      const events = new QueueEvents(queue, { connection, prefix, autorun: false, lastEventId });
      reader.events = events;
      events.on('error', (error) => onError?.(error, queue));
      for (const name of this.#options.events) {
        events.on(name, (args: unknown, id?: string) => {
          // A stopped reader still draining its last read must not deliver twice.
          if (this.#readers.get(queue) !== reader) return;
          if (typeof id === 'string') lastRead = id;
          this.#options.onEvent(queue, name, args as Record<string, unknown>);
        });
      }
      events.run().catch((error: Error) => {
        if (this.#readers.get(queue) !== reader) return;
        onError?.(error, queue);
        // Whoever still holds the queue gets a fresh reader from the last id told: nothing
        // lost, nothing told twice.
        const from = lastRead;
        void this.#stop(queue).then(() => {
          if (this.#closed || this.#readers.has(queue) || !this.#holders.has(queue)) return;
          this.#start(queue, from).catch(() => {});
        });
      });
    })();
    this.#readers.set(queue, reader);
    reader.started.catch(() => {
      // Failed to start: the next acquire tries again.
      if (this.#readers.get(queue) === reader) void this.#stop(queue);
    });
    return reader.started;
  }

  async #stop(queue: string): Promise<void> {
    const reader = this.#readers.get(queue);
    if (reader === undefined) return;
    clearTimeout(reader.idle);
    this.#readers.delete(queue);
    await reader.events?.close().catch((error: Error) => this.#options.onError?.(error, queue));
  }
}

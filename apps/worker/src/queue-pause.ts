import { bullKey, LIFT_QUEUE_PAUSE_SCRIPT, PAUSE_QUEUE_SCRIPT } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import type { Queue } from 'bullmq';

/** The value BullMQ's `queue.rateLimit` stores in the limiter key: no job count reaches it. */
const PAUSED = String(Number.MAX_SAFE_INTEGER);
/** Our mark in the queue's meta hash: the global limit there is ours to remove. */
const MARK = 'conveyor:pause';
/** Margin after the pause's end before the limit is removed. */
const RELEASE_MARGIN_MS = 50;

/** Options for {@link QueuePause}. */
export interface QueuePauseOptions {
  /** The queue to pause (its keys and name). */
  queue: Queue;
  /** Connection the scripts run on: the worker connection, which waits through outages. */
  connection: RedisConnection;
  logger: Logger;
}

/**
 * The queue-wide pause a Slack 429 asks for, in every worker process, at no cost while no pause
 * runs.
 *
 * BullMQ checks `queue.rateLimit`'s key only for a queue with a rate limit: a worker `limiter`,
 * or the global one in the queue's meta hash. A limiter on every worker would count every job
 * in Redis (three more calls in each job's fetch) only to honour a rare pause. So the global
 * limit, set out of reach of any real load, exists only from a pause until its end: the process
 * that paused removes it then, and any process removes a leftover one when it starts (a process
 * that died mid-pause). While it is set, jobs cost what they cost with a limiter, nothing is
 * lost. A global limit an operator set (`queue.setGlobalRateLimit`) is left alone and honoured.
 */
export class QueuePause {
  readonly #options: QueuePauseOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: QueuePauseOptions) {
    this.#options = options;
  }

  /** Pauses the queue in every worker for `ms` milliseconds. */
  async pause(ms: number): Promise<void> {
    const { queue, connection } = this.#options;
    await connection.eval(
      PAUSE_QUEUE_SCRIPT,
      2,
      bullKey(queue, 'limiter'),
      bullKey(queue, 'meta'),
      Math.max(Math.ceil(ms), 1),
      PAUSED,
      MARK,
    );
    this.#releaseIn(ms);
  }

  /**
   * Removes the pause's queue-wide limit if no pause is running, or looks again when the running
   * one ends.
   */
  async release(): Promise<void> {
    const { queue, connection } = this.#options;
    const remainingMs = Number(
      await connection.eval(
        LIFT_QUEUE_PAUSE_SCRIPT,
        2,
        bullKey(queue, 'limiter'),
        bullKey(queue, 'meta'),
        PAUSED,
        MARK,
      ),
    );
    if (remainingMs > 0) this.#releaseIn(remainingMs);
  }

  /** Stops the pending release (the next process to start or pause does it). */
  close(): void {
    clearTimeout(this.#timer);
  }

  #releaseIn(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.release().catch((error: unknown) => {
        this.#options.logger.warn(
          { err: error, queue: this.#options.queue.name },
          'could not lift the queue-wide pause limit; jobs keep being counted until it is',
        );
      });
    }, ms + RELEASE_MARGIN_MS);
    // A pending release must not keep a finished process alive.
    this.#timer.unref();
  }
}

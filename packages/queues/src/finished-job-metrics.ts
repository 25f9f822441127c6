import type { RedisConnection } from '@conveyor/redis';
import { MetricsTime, type Queue } from 'bullmq';
import { RECORD_FINISHED_METRICS_SCRIPT } from './scripts/record-finished-metrics.js';
import { LuaScript } from './search/lua-script.js';

const RECORD = new LuaScript(RECORD_FINISHED_METRICS_SCRIPT);

/** What a finished job counts as, in BullMQ's metrics. */
export type FinishedOutcome = 'completed' | 'failed';

const OUTCOMES: readonly FinishedOutcome[] = ['completed', 'failed'];

/** Options for {@link FinishedJobMetrics}. */
export interface FinishedJobMetricsOptions {
  /** Where the counts are written. */
  connection: RedisConnection;
  /**
   * Per-minute data points kept per queue and outcome, as BullMQ's `metrics.maxDataPoints`.
   * @defaultValue 1440 (a day)
   */
  maxDataPoints?: number;
  /** How long counts wait before they are written. @defaultValue 1000 */
  flushAfterMs?: number;
  /**
   * Called when writes start failing, once until one succeeds again (the counts of a failed write
   * are kept for the next one).
   * @defaultValue ignore
   */
  onError?: (error: Error) => void;
  /** The clock. @defaultValue `Date.now` */
  now?: () => number;
}

/** Counts of one queue not yet written. */
interface Pending {
  queue: Queue;
  completed: number;
  failed: number;
}

/**
 * BullMQ's per-minute metrics of finished jobs (what Bull Board and the console chart, read with
 * `queue.getMetrics`), written in batches by the worker instead of by BullMQ's `moveToFinished`
 * for each job (its `metrics` worker option): an `HINCRBY` and an `HGET` inside every job's
 * finishing script cost Redis about 25,000 instructions per job, a batch a second costs nothing
 * per job. The keys and their meaning are BullMQ's; a job is counted in the minute its batch is
 * written, at most `flushAfterMs` late.
 *
 * Responsibilities:
 * - count the jobs of each queue that completed, or failed for good, as the worker saw them;
 * - write the counts of every queue at most `flushAfterMs` after the first one, and on close;
 * - keep the counts of a write that failed for the next one.
 */
export class FinishedJobMetrics {
  readonly #connection: RedisConnection;
  readonly #maxDataPoints: number;
  readonly #flushAfterMs: number;
  readonly #onError: (error: Error) => void;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: FinishedJobMetricsOptions) {
    this.#connection = options.connection;
    this.#maxDataPoints = options.maxDataPoints ?? 24 * MetricsTime.ONE_HOUR;
    this.#flushAfterMs = options.flushAfterMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  /** Counts a job of `queue` that finished with `outcome`. */
  record(queue: Queue, outcome: FinishedOutcome, jobs = 1): void {
    let pending = this.#pending.get(queue.qualifiedName);
    if (pending === undefined) {
      pending = { queue, completed: 0, failed: 0 };
      this.#pending.set(queue.qualifiedName, pending);
    }
    pending[outcome] += jobs;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#flushAfterMs).unref();
  }

  /** Writes every count now; resolves once written (a failure goes to `onError`). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    this.#flushing = this.#flushing.then(() => this.#write(batch));
    return this.#flushing;
  }

  /** Stops the timer and writes what is counted. */
  close(): Promise<void> {
    return this.flush();
  }

  async #write(batch: Pending[]): Promise<void> {
    const now = String(this.#now());
    await Promise.all(
      batch.flatMap((pending) =>
        OUTCOMES.filter((outcome) => pending[outcome] > 0).map((outcome) =>
          this.#writeOne(pending.queue, outcome, pending[outcome], now),
        ),
      ),
    );
  }

  async #writeOne(queue: Queue, outcome: FinishedOutcome, jobs: number, now: string) {
    const key = queue.toKey(`metrics:${outcome}`);
    try {
      await RECORD.run(this.#connection, [2, key, `${key}:data`, jobs, this.#maxDataPoints, now]);
      this.#failing = false;
    } catch (error) {
      this.record(queue, outcome, jobs);
      if (!this.#failing) this.#onError(error as Error);
      this.#failing = true;
    }
  }
}

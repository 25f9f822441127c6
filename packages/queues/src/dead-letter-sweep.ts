import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { Job, type Queue } from 'bullmq';
import type { DeadLetterQueue, RecordResult } from './dead-letter-queue.js';
import { FAILED_RETENTION_MS } from './job-policies.js';
import { readJobEndings } from './job-state.js';
import { bullKey, SWEEP_WATERMARK_TTL_MS, sweepLockKey, sweepWatermarkKey } from './redis-keys.js';

/** Options for {@link DeadLetterSweep}. */
export interface DeadLetterSweepOptions {
  /** The origin queue, whose failed jobs are swept. */
  origin: Queue;
  /** Its dead-letter queue, where the missing ones are recorded. */
  deadLetters: DeadLetterQueue;
  connection: RedisConnection;
  /**
   * How long one sweep keeps the others from starting (a shared lock, never released: it just
   * expires). The period of the periodic sweep is the natural value.
   * @defaultValue 30000
   */
  lockMs?: number;
  /**
   * Failures younger than this are left to the worker that failed them, whose `failed` event
   * records them within milliseconds; the next sweep looks at them.
   * @defaultValue 5000
   */
  settleMs?: number;
  /**
   * How far before the last sweep's end a sweep starts again: failure times come from each
   * worker's clock, taken before BullMQ's script runs, so a failure can land a little behind
   * the previous sweep's end.
   * @defaultValue 300000 (5 minutes)
   */
  overlapMs?: number;
  /**
   * Failed jobs read per Redis call.
   * @defaultValue 500
   */
  batchSize?: number;
}

/** The result of one {@link DeadLetterSweep.sweep}. */
export interface SweepResult {
  /** False when another sweep held the lock, so this one did nothing. */
  swept: boolean;
  /** Failed jobs in the window that were looked at. */
  examined: number;
  /** Dead letters this sweep created (origin job ids). */
  recorded: string[];
}

/**
 * Reconciles an origin queue's failed jobs with its dead letters: every job BullMQ has failed
 * for good and that was never recorded is recorded. The worker's `failed` event records a job
 * within milliseconds of its failure; this sweep catches those whose worker died (or lost Redis)
 * in between, which would otherwise vanish with the 24-hour failed retention.
 *
 * BullMQ's failed set only holds final failures (a failure that will be retried goes back to
 * delayed or waiting), scored by finish time. A sweep reads it from the previous sweep's end
 * (minus an overlap for clock skew) to now (minus a settle time), at most 24 hours back, and asks
 * the dead-letter queue which ids it already recorded: the steady cost is two Redis calls per
 * queue and sweep. Recording is idempotent by origin job id, so sweeps that overlap (several
 * worker processes, or a sweep racing a `failed` event) are harmless; a short shared lock keeps
 * them from doing the same work. An origin job whose dead letter was replayed stays recorded and
 * is not copied again. A cancelled job (its ending record says so) is never recorded; an expired
 * one is recorded with reason `expired`.
 */
export class DeadLetterSweep {
  readonly #origin: Queue;
  readonly #deadLetters: DeadLetterQueue;
  readonly #redis: RedisConnection;
  readonly #lockMs: number;
  readonly #settleMs: number;
  readonly #overlapMs: number;
  readonly #batchSize: number;
  readonly #lockKey: string;
  readonly #watermarkKey: string;
  readonly #failedKey: string;

  constructor(options: DeadLetterSweepOptions) {
    this.#origin = options.origin;
    this.#deadLetters = options.deadLetters;
    this.#redis = options.connection;
    this.#lockMs = options.lockMs ?? 30_000;
    this.#settleMs = options.settleMs ?? 5000;
    this.#overlapMs = options.overlapMs ?? 5 * 60_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#lockKey = sweepLockKey(options.deadLetters.queue);
    this.#watermarkKey = sweepWatermarkKey(options.deadLetters.queue);
    this.#failedKey = bullKey(options.origin, 'failed');
  }

  /**
   * One sweep. `onRecorded` is called for each dead letter it creates (for logs and metrics).
   * Throws on a Redis error; the next sweep starts from the same place.
   */
  async sweep(onRecorded?: (job: Job, result: RecordResult) => void): Promise<SweepResult> {
    const now = Date.now();
    const locked = await this.#redis.set(this.#lockKey, randomUUID(), 'PX', this.#lockMs, 'NX');
    if (locked !== 'OK') return { swept: false, examined: 0, recorded: [] };
    const watermark = Number(await this.#redis.get(this.#watermarkKey)) || 0;
    const from = Math.max(now - FAILED_RETENTION_MS, watermark - this.#overlapMs);
    const to = now - this.#settleMs;
    const result: SweepResult = { swept: true, examined: 0, recorded: [] };
    let lower = String(from);
    while (to >= from) {
      const page = await this.#redis.zrangebyscore(
        this.#failedKey,
        lower,
        to,
        'WITHSCORES',
        'LIMIT',
        0,
        this.#batchSize,
      );
      const ids = page.filter((_, index) => index % 2 === 0);
      const full = ids.length === this.#batchSize;
      if (full) {
        // The next page starts after the last score: read every job sharing it now.
        const last = page.at(-1) ?? '';
        const ties = await this.#redis.zrangebyscore(this.#failedKey, last, last);
        ids.push(...ties.filter((id) => !ids.includes(id)));
        lower = `(${last}`;
      }
      result.examined += ids.length;
      const recorded = await this.#deadLetters.recorded(ids);
      const missing = ids.filter((candidate) => !recorded.has(candidate));
      const endings = await readJobEndings(this.#redis, this.#origin, missing);
      for (const id of missing) {
        const ending = endings.get(id)?.state;
        // A cancelled job is not a dead letter.
        if (ending === 'cancelled') continue;
        const job = await Job.fromId(this.#origin, id);
        // Gone, or taken out of the failed set (retried) since the read.
        if (!job?.finishedOn) continue;
        const outcome = await this.#deadLetters.recordFailed(
          job,
          ending === 'expired' ? { unrecoverable: true, reason: 'expired' } : {},
        );
        if (!outcome.created) continue;
        result.recorded.push(id);
        onRecorded?.(job, outcome);
      }
      if (!full) break;
    }
    await this.#redis.set(this.#watermarkKey, String(to), 'PX', SWEEP_WATERMARK_TTL_MS);
    return result;
  }
}

import {
  expiresAtOf,
  JobCancelledError,
  JobExpiredError,
  readJobEndings,
  recordJobEnding,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Job, Queue } from 'bullmq';

/** Options for {@link JobLifecycle}. */
export interface JobLifecycleOptions {
  /** The queue served, for its keys. */
  queue: Queue;
  /** Where ending records are read and written. */
  connection: RedisConnection;
  /** Aborts the signal of a running job's handler (`JobProcessor.abort`). */
  abort: (id: string) => void;
  /**
   * How long a cancellation of a job not running here is remembered: a job the process is
   * taking right now may be announced before it starts.
   * @defaultValue 60000
   */
  rememberMs?: number;
  /**
   * Most cancellations of jobs not running here remembered at once.
   * @defaultValue 10000
   */
  maxRemembered?: number;
}

/**
 * Cancellation and expiry of the jobs of one queue in this worker process, around the processor.
 *
 * Responsibilities:
 * - before a job runs: an expired job (past its `expiresAt`) gets its `expired` ending record
 *   and ends with {@link JobExpiredError}; a cancelled one ends with {@link JobCancelledError}.
 *   A job already tried before (a retry, or taken over after a stall) may have been cancelled
 *   while no worker heard of it: for those only, its ending record is read;
 * - {@link cancel}, called for every cancellation announced on the queue's channel: a job
 *   running here has its handler's signal aborted and ends `cancelled` when its handler returns
 *   or throws, whatever it returned; others are remembered a minute, for a job being taken now;
 * - memory is bounded: running cancelled jobs by the concurrency, others by count and age.
 */
export class JobLifecycle {
  readonly #options: JobLifecycleOptions;
  readonly #rememberMs: number;
  readonly #maxRemembered: number;
  readonly #running = new Set<string>();
  /** Running jobs that were cancelled. */
  readonly #cancelledRunning = new Set<string>();
  /** Cancelled jobs not running here, oldest first, with when they were heard of. */
  readonly #remembered = new Map<string, number>();

  constructor(options: JobLifecycleOptions) {
    this.#options = options;
    this.#rememberMs = options.rememberMs ?? 60_000;
    this.#maxRemembered = options.maxRemembered ?? 10_000;
  }

  /** A cancellation of job `id` was announced. */
  cancel(id: string, now = Date.now()): void {
    if (this.#running.has(id)) {
      this.#cancelledRunning.add(id);
      this.#options.abort(id);
      return;
    }
    this.#remembered.delete(id);
    this.#remembered.set(id, now);
    for (const [old, heard] of this.#remembered) {
      if (this.#remembered.size <= this.#maxRemembered && now - heard < this.#rememberMs) break;
      this.#remembered.delete(old);
    }
  }

  /**
   * Called when the processor takes a job, before its handler. Throws the error that ends the
   * job when it must not run; returns a promise only when Redis must be asked.
   */
  beforeRun(job: Job): Promise<void> | undefined {
    const id = String(job.id);
    this.#running.add(id);
    if (this.#remembered.delete(id)) {
      this.#cancelledRunning.add(id);
      throw new JobCancelledError();
    }
    const expiresAt = expiresAtOf(job);
    if (expiresAt !== undefined && Date.now() > expiresAt) return this.#expire(job, expiresAt);
    if (job.attemptsStarted > 1) return this.#checkEnding(id);
    return undefined;
  }

  /** After the handler returned: a job cancelled meanwhile ends cancelled, its result dropped. */
  afterRun(job: Job): void {
    if (this.#cancelledRunning.has(String(job.id))) throw new JobCancelledError();
  }

  /**
   * The error a job ends with, given what its attempt threw: cancellation wins over whatever the
   * handler threw (an aborted fetch, typically). Undefined for an ordinary failure.
   */
  endingOf(job: Job, thrown: unknown): JobCancelledError | JobExpiredError | undefined {
    if (thrown instanceof JobCancelledError || thrown instanceof JobExpiredError) return thrown;
    return this.#cancelledRunning.has(String(job.id)) ? new JobCancelledError() : undefined;
  }

  /** The job's attempt is over. */
  end(id: string): void {
    this.#running.delete(id);
    this.#cancelledRunning.delete(id);
  }

  async #expire(job: Job, expiresAt: number): Promise<void> {
    const { connection, queue } = this.#options;
    await recordJobEnding(connection, queue, String(job.id), {
      state: 'expired',
      name: job.name,
      at: Date.now(),
    });
    throw new JobExpiredError(expiresAt);
  }

  async #checkEnding(id: string): Promise<void> {
    const { connection, queue } = this.#options;
    const ending = (await readJobEndings(connection, queue, [id])).get(id);
    if (ending?.state !== 'cancelled') return;
    this.#cancelledRunning.add(id);
    throw new JobCancelledError();
  }
}

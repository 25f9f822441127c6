import {
  type DeadLetterQueue,
  isFinalFailure,
  JobCancelledError,
  type JobExpiredError,
  jobTenant,
  type QueueName,
  type ScheduleTicks,
  type TenantGate,
} from '@conveyor/queues';
import type { createJobMetrics, Logger } from '@conveyor/telemetry';
import {
  DelayedError,
  type Job,
  RATE_LIMIT_ERROR,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
} from 'bullmq';
import { UnknownJobError } from './errors/unknown-job-error.js';
import type { HandlerRegistry } from './handlers/handler-registry.js';
import { JobContext, type JobContextServices } from './job-context.js';
import type { JobLifecycle } from './lifecycle/job-lifecycle.js';

/** The job metrics of `@conveyor/telemetry`. */
export type JobMetrics = ReturnType<typeof createJobMetrics>;

/** Options for {@link JobProcessor}. */
export interface JobProcessorOptions {
  /** The queue this processor serves. */
  queue: QueueName;
  /** Where handlers are looked up, by job name. */
  registry: HandlerRegistry;
  /** Parent of each job's child logger. */
  logger: Logger;
  /** Outcome counters and the duration histogram. */
  metrics: JobMetrics;
  /** The queue's dead-letter queue; finally-failed jobs are recorded here. */
  deadLetters: DeadLetterQueue;
  /** Sets the queue-wide rate limit for `ms` (BullMQ's `queue.rateLimit`). */
  rateLimit: (ms: number) => Promise<void>;
  /**
   * Cancellation and expiry checks around each job.
   * @defaultValue none: jobs are neither cancelled nor expired
   */
  lifecycle?: JobLifecycle;
  /**
   * Per-tenant admission before each job runs: the tenant's pause, concurrency cap and rate
   * limit; also what `context.limitTenant` pauses.
   * @defaultValue none: tenants are not limited (`limitTenant` then delays the job alone)
   */
  gate?: TenantGate;
  /**
   * Indexes each schedule's tick the first time it is taken and gives it its tenant's turn,
   * putting it back until then (BullMQ adds ticks where no Conveyor code runs).
   * @defaultValue none: ticks run when BullMQ hands them out, unindexed
   */
  ticks?: ScheduleTicks;
}

/** What a job's child logger carries. */
function jobBindings(queue: QueueName, job: Job) {
  return {
    queue,
    jobId: job.id,
    job: job.name,
    tenant: jobTenant(job),
    attempt: job.attemptsMade + 1,
  };
}

/** BullMQ's "move this job elsewhere" signals: not failures, and never counted as such. */
function isControlFlow(error: unknown): boolean {
  return (
    error instanceof DelayedError ||
    error instanceof RateLimitError ||
    error instanceof WaitingError ||
    error instanceof WaitingChildrenError ||
    (error instanceof Error && error.message === RATE_LIMIT_ERROR)
  );
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs one attempt of a job around its handler: the part of the runtime every handler shares.
 *
 * Responsibilities:
 * - resolve the handler from the registry (an unknown job name fails unrecoverably);
 * - give the handler a child logger (queue, job id, attempt) and the means to rate-limit the
 *   queue or postpone the job without spending an attempt;
 * - count completions, failures (final or not) and durations;
 * - on a final failure (unrecoverable, or the last attempt), record the dead letter before
 *   rethrowing: a recorded dead letter of a job that then runs again is deduplicated by its id.
 *   A failure with no dead letter (its record failed, or BullMQ failed the job without this
 *   processor) is found by the launcher's dead-letter sweep;
 * - let BullMQ's control-flow errors (delayed, rate limited) through untouched;
 * - end a cancelled job `cancelled` (counted apart, never a dead letter, its result dropped) and
 *   an expired one `expired` without running it (counted, a dead letter with reason `expired`).
 */
export class JobProcessor {
  readonly #options: JobProcessorOptions;
  /** Jobs this processor ran; others that fail were failed by BullMQ itself (stall limit). */
  readonly #ran = new WeakSet<Job>();
  /** Ids of the jobs running now. */
  readonly #running = new Set<string>();
  /** The abort controllers of running jobs whose handler is `cancellable`, by job id. */
  readonly #controllers = new Map<string, AbortController>();

  /** What each job's {@link JobContext} shares. */
  readonly #contextServices: JobContextServices;
  /** The `{ queue }` labels of the metrics, made once. */
  readonly #labels: { queue: QueueName };

  constructor(options: JobProcessorOptions) {
    this.#options = options;
    this.#labels = { queue: options.queue };
    this.#contextServices = {
      queue: options.queue,
      queueLogger: options.logger.child({ queue: options.queue }),
      rateLimit: options.rateLimit,
      gate: options.gate,
    };
  }

  /** Ids of the jobs this processor is running now. */
  inFlight(): string[] {
    return [...this.#running];
  }

  /**
   * The BullMQ processor function. It never takes BullMQ's signal: BullMQ would make one for every
   * job of the queue, which cost a no-op job a twelfth of its CPU in `pnpm bench` (Node's
   * `AbortSignal` is slow to make). Only a job whose handler is `cancellable` gets one, made
   * here and aborted by {@link abort}.
   */
  readonly process = async (job: Job, token?: string): Promise<unknown> => {
    const id = String(job.id);
    const { queue, registry, lifecycle, gate, ticks } = this.#options;
    const handler = registry.resolve(queue, job.name);
    const controller = handler?.cancellable ? new AbortController() : undefined;
    this.#running.add(id);
    if (controller) this.#controllers.set(id, controller);
    this.#ran.add(job);
    // One async frame per job: the attempt runs inline here, only a throw goes to #failed.
    const context = new JobContext(this.#contextServices, job, token, controller?.signal);
    const started = performance.now();
    try {
      const check = lifecycle?.beforeRun(job);
      if (check) await check;
      // Both answer at once (no promise) for a plain job the gate admits: no await per job.
      const placing = ticks?.place(job, token);
      if (placing && (await placing)) {
        context.logger.debug(
          'schedule tick indexed and given its tenant turn; put back until then',
        );
        throw new DelayedError();
      }
      let admission = gate?.admit(job, token ?? '');
      if (admission instanceof Promise) admission = await admission;
      if (admission && !admission.admitted) {
        context.logger.debug(
          { reason: admission.reason, until: admission.until },
          'tenant not admitted now; job put back without spending an attempt',
        );
        throw new DelayedError();
      }
      if (!handler) throw new UnknownJobError(queue, job.name);
      const result = await handler.handle(job, context);
      lifecycle?.afterRun(job);
      const seconds = (performance.now() - started) / 1000;
      const { metrics } = this.#options;
      metrics.completed.inc(this.#labels);
      metrics.duration.observe(this.#labels, seconds);
      context.logCompleted(Math.round(seconds * 1000));
      return result;
    } catch (caught) {
      return await this.#failed(job, caught, context, started);
    } finally {
      this.#running.delete(id);
      if (controller) this.#controllers.delete(id);
      lifecycle?.end(id);
      if (gate?.capped) await this.#release(job);
    }
  };

  /**
   * Aborts the signal of job `id`'s handler (a cancellation). False when the job does not run
   * here, or its handler is not `cancellable` (it has no signal).
   */
  abort(id: string, reason?: unknown): boolean {
    const controller = this.#controllers.get(id);
    controller?.abort(reason);
    return controller !== undefined;
  }

  /** Frees the tenant slot of a job that ran (or was put back); a failure is healed later. */
  async #release(job: Job): Promise<void> {
    try {
      await this.#options.gate?.release(job);
    } catch (error) {
      // Its slot is dropped once its lock is gone; a parked job comes back by its own delay.
      this.#options.logger.warn(
        { err: error, queue: this.#options.queue, jobId: job.id },
        'could not free the tenant slot of a job; it heals by itself',
      );
    }
  }

  /** Ends an attempt that threw: counted, logged, a dead letter when final; always throws. */
  async #failed(job: Job, caught: unknown, context: JobContext, started: number): Promise<never> {
    if (isControlFlow(caught)) throw caught;
    const { queue, metrics, lifecycle } = this.#options;
    const ending = lifecycle?.endingOf(job, caught);
    if (ending) return this.#end(job, ending, context.logger);
    const { logger } = context;
    const error = toError(caught);
    const seconds = (performance.now() - started) / 1000;
    metrics.duration.observe(this.#labels, seconds);
    const final = isFinalFailure(job, error);
    metrics.failed.inc({ queue, final: String(final) });
    const details = {
      err: error,
      code: (error as { code?: unknown }).code,
      durationMs: Math.round(seconds * 1000),
    };
    if (!final) {
      logger.warn(details, 'job attempt failed; will retry');
      throw error;
    }
    const unrecoverable = error instanceof UnrecoverableError;
    await this.#recordDeadLetter(job, error, unrecoverable, logger);
    logger.error({ ...details, unrecoverable }, 'job failed for good');
    throw error;
  }

  /**
   * Handles a `failed` event: a job BullMQ failed for good without running the processor (it
   * stalled more than `maxStalledCount` times) still goes to dead letters, recorded as BullMQ
   * stored the failure. Jobs the processor ran were recorded there already. A process that dies
   * before this runs leaves the job to the dead-letter sweep.
   */
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    // No finish time: BullMQ will retry the job.
    if (!job?.finishedOn || this.#ran.has(job)) return;
    const { queue, metrics, deadLetters } = this.#options;
    const logger = this.#options.logger.child(jobBindings(queue, job));
    metrics.failed.inc({ queue, final: 'true' });
    try {
      const { id, created } = await deadLetters.recordFailed(job, { unrecoverable: true });
      if (created) metrics.deadLetters.inc({ queue });
      logger.info({ deadLetterId: id }, 'dead letter recorded');
    } catch (recordError) {
      logger.error({ err: recordError }, 'could not record the dead letter; the sweep will');
    }
    logger.error({ err: error }, 'job failed by the stalled-job check; moved to dead letters');
  }

  /** Ends a cancelled or expired job: counted, logged, a dead letter when expired; rethrown. */
  async #end(
    job: Job,
    ending: JobCancelledError | JobExpiredError,
    logger: Logger,
  ): Promise<never> {
    const { queue, metrics, deadLetters } = this.#options;
    if (ending instanceof JobCancelledError) {
      metrics.cancelled.inc({ queue });
      logger.info('job cancelled; its result, if any, is discarded');
      throw ending;
    }
    metrics.expired.inc({ queue });
    try {
      const { id, created } = await deadLetters.record(job, ending, {
        unrecoverable: true,
        reason: 'expired',
      });
      if (created) metrics.deadLetters.inc({ queue });
      logger.warn({ deadLetterId: id }, 'job expired before it started; not run');
    } catch (recordError) {
      logger.error({ err: recordError }, 'could not record the expired job; the sweep will');
    }
    throw ending;
  }

  async #recordDeadLetter(
    job: Job,
    error: Error,
    unrecoverable: boolean,
    logger: Logger,
  ): Promise<void> {
    const { queue, metrics, deadLetters } = this.#options;
    try {
      const { id, created } = await deadLetters.record(job, error, { unrecoverable });
      // Counted once per dead letter fleet-wide: a re-run of a job already recorded is not.
      if (created) metrics.deadLetters.inc({ queue });
      logger.info({ deadLetterId: id }, 'dead letter recorded');
    } catch (recordError) {
      logger.error({ err: recordError }, 'could not record the dead letter; the sweep will');
    }
  }
}

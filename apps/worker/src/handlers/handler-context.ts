import type { QueueName } from '@conveyor/queues';
import type { Logger } from '@conveyor/telemetry';

/** What the runtime gives a handler for one attempt of one job. */
export interface HandlerContext {
  /** The queue the job came from. */
  readonly queue: QueueName;
  /** Child logger carrying queue, job id, job name and attempt. */
  readonly logger: Logger;
  /** The job's lock token (BullMQ), needed to move the job from inside the handler. */
  readonly token: string;
  /** Aborted when the job is cancelled; undefined unless this job's handler is `cancellable`. */
  readonly signal: AbortSignal | undefined;
  /**
   * Pauses the whole queue for `ms` (every worker process) and puts this job back at the front
   * of the queue without spending an attempt. Never returns: it throws BullMQ's RateLimitError,
   * which the handler must let through.
   */
  rateLimitQueue(ms: number): Promise<never>;
  /**
   * Pauses this job's tenant for `ms` (every worker process; other tenants keep flowing) and puts
   * this job aside until then without spending an attempt: what a per-tenant answer such as a
   * Slack 429 for one workspace needs. Never returns: it throws BullMQ's DelayedError, which the
   * handler must let through.
   */
  limitTenant(ms: number): Promise<never>;
  /**
   * Puts this job aside for `ms` without spending an attempt (the resource it needs is busy).
   * Never returns: it throws BullMQ's DelayedError, which the handler must let through.
   */
  postpone(ms: number): Promise<never>;
}

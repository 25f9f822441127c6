import type { QueueName } from '@conveyor/queues';
import type { JobStatus } from '../jobs/read-job-status.js';
import type { JobEvent } from './job-event.js';

/** One entry of a queue's BullMQ events stream, as QueueEvents hands it over. */
export interface BullEvent {
  event: string;
  args: Record<string, unknown>;
}

/**
 * What a BullMQ event means to a Conveyor client, in one place:
 * - a {@link JobEvent};
 * - `'maybe-retry'`: the job left `active` for `delayed` or `waiting`, which is a failed attempt
 *   to be retried, or a handler that postponed its job, or a rate limit: only the job's stored
 *   attempt count and reason tell which (see `JobEventHub`);
 * - undefined: nothing a client is told about (`added`, `active`, `drained`, ...).
 */
export function toJobEvent(
  queue: QueueName,
  { event, args }: BullEvent,
): JobEvent | 'maybe-retry' | undefined {
  const jobId = typeof args.jobId === 'string' ? args.jobId : undefined;
  if (jobId === undefined) return undefined;
  switch (event) {
    case 'progress':
      return { type: 'progress', queue, jobId, data: args.data };
    case 'completed':
      return { type: 'completed', queue, jobId, returnValue: args.returnvalue ?? null };
    case 'failed':
      // BullMQ writes `failed` only when the job is done: retries leave as `delayed` or `waiting`.
      return {
        type: 'failed',
        queue,
        jobId,
        reason: String(args.failedReason ?? ''),
        willRetry: false,
      };
    case 'delayed':
      return 'maybe-retry';
    case 'waiting':
      return args.prev === 'active' ? 'maybe-retry' : undefined;
    default:
      return undefined;
  }
}

/** The final event of a job that is already over (a client that comes after the end gets it). */
export function finalEventOf(status: JobStatus): JobEvent | undefined {
  const { queue, id: jobId } = status;
  switch (status.state) {
    case 'completed':
      return { type: 'completed', queue, jobId, returnValue: status.returnValue };
    case 'failed':
    case 'cancelled':
    case 'expired':
      // Cancelled and expired jobs end without running (again): a final failure, by its reason.
      return {
        type: 'failed',
        queue,
        jobId,
        reason: status.state === 'failed' ? (status.failedReason ?? '') : status.state,
        willRetry: false,
        attemptsMade: status.attemptsMade,
      };
    default:
      return undefined;
  }
}

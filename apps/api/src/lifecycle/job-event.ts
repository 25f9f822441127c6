import type { QueueName } from '@conveyor/queues';
import { FINAL_JOB_STATES as QUEUE_FINAL_JOB_STATES } from '@conveyor/queues';

/**
 * What a job went through, as the API tells its clients (`waitMs`, server-sent events). Cancel
 * and expiry add `{ type: 'cancelled' }` and `{ type: 'expired' }` here, to
 * {@link FINAL_JOB_STATES}, and a line each to `toJobEvent`: the routes need no change.
 */
export type JobEvent =
  | { type: 'progress'; queue: QueueName; jobId: string; data: unknown }
  | { type: 'completed'; queue: QueueName; jobId: string; returnValue: unknown }
  | {
      type: 'failed';
      queue: QueueName;
      jobId: string;
      reason: string;
      /** False when this was the last attempt (or the failure was permanent). */
      willRetry: boolean;
      /** Attempts made so far, when known. */
      attemptsMade?: number;
    };

export type JobEventType = JobEvent['type'];

/** Job states (as `GET .../jobs/:id` reports them) after which nothing more happens to a job. */
export const FINAL_JOB_STATES: ReadonlySet<string> = new Set(QUEUE_FINAL_JOB_STATES);

/** True when `state` is final: a waiter answers, a stream sends its last event. */
export function isFinalState(state: string): boolean {
  return FINAL_JOB_STATES.has(state);
}

/** True when the job ends with this event: nothing follows it. */
export function isFinalEvent(event: JobEvent): boolean {
  return event.type === 'failed' ? !event.willRetry : FINAL_JOB_STATES.has(event.type);
}

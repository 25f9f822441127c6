import type { JobStatus } from '../jobs/read-job-status.js';
import { isFinalState, type JobEvent } from './job-event.js';

/**
 * The status a waiting request answers with once its job's final event came: the status read
 * after the event, or, when that read no longer shows the job finished (retention removed it the
 * moment it completed: BullMQ keeps only the newest completed jobs) or failed, the status read
 * before the wait with the event's outcome. A client told that its job ended is never answered
 * `unknown` or 503 for it.
 */
export function statusAfterFinalEvent(
  before: JobStatus,
  after: JobStatus | undefined,
  event: JobEvent,
): JobStatus {
  if (after !== undefined && isFinalState(after.state)) return after;
  const status = { ...(after ?? before) };
  if (event.type === 'completed') {
    return { ...status, state: 'completed', returnValue: event.returnValue };
  }
  if (event.type === 'failed') return { ...status, state: 'failed', failedReason: event.reason };
  return { ...status, state: event.type };
}

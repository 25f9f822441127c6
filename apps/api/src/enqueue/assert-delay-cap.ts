import { type JobRequest, type PayloadIssue, PayloadValidationError } from '@conveyor/queues';

/**
 * Refuses (400 INVALID_PAYLOAD) any job delayed beyond `maxDelayMs` (`MAX_DELAY_MS`): a delayed
 * job holds its payload in Redis until it runs. `pathOf` names each job's field in the answer.
 */
export function assertDelayCap(
  requests: readonly JobRequest[],
  maxDelayMs: number,
  pathOf: (index: number) => string,
): void {
  const issues: PayloadIssue[] = [];
  requests.forEach((request, index) => {
    const delay = request.options?.delay;
    if (delay !== undefined && delay > maxDelayMs) {
      issues.push({
        path: pathOf(index),
        message: `must be at most ${maxDelayMs} ms (MAX_DELAY_MS)`,
      });
    }
  });
  if (issues.length > 0) throw new PayloadValidationError(issues);
}

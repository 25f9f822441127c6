import { waitFor } from '@conveyor/testing';
import type { Queue } from 'bullmq';

/** Polls BullMQ until the job is in `state`; the timeout error names the last state seen. */
export async function waitForJobState(
  queue: Queue,
  jobId: string,
  state: 'failed' | 'completed' | 'waiting' | 'active',
  timeoutMs = 10_000,
): Promise<void> {
  let last = 'not read yet';
  try {
    await waitFor(
      async () => {
        last = await queue.getJobState(jobId);
        return last === state;
      },
      { timeoutMs, intervalMs: 50, description: `job ${jobId} on ${queue.name} to be ${state}` },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last state: ${last})`, { cause: error });
  }
}

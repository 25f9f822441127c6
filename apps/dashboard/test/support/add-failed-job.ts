import type { RedisConfig } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { type FlakyWorker, startFlakyWorker } from './start-flaky-worker.js';
import { waitForJobState } from './wait-for-job-state.js';

/** An ingestion payload that passes the catalog schema. */
export const INGEST_DATA = {
  documentId: 'doc-dashboard-test',
  source: { kind: 'inline', text: 'Hello from the dashboard test.' },
};

/**
 * Adds one job with `attempts: 1` and lets a {@link startFlakyWorker} fail it, so it lands in
 * `failed`. The worker keeps running (a retry then completes the job); the caller closes it.
 */
export async function addFailedJob(
  queue: Queue,
  redisConfig: RedisConfig,
): Promise<{ jobId: string; worker: FlakyWorker }> {
  const job = await queue.add('ingest', INGEST_DATA, { attempts: 1 });
  const jobId = String(job.id);
  const worker = startFlakyWorker(queue.name, redisConfig);
  try {
    await waitForJobState(queue, jobId, 'failed');
  } catch (error) {
    await worker.close();
    throw error;
  }
  return { jobId, worker };
}

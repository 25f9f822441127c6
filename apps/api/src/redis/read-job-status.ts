import { JobNotFoundError, type Producer, type QueueName } from '@conveyor/queues';
import { findJob } from './find-job.js';
import { readFromRedis } from './read-from-redis.js';

/** A job as `GET /v1/queues/:queue/jobs/:id` answers it. */
export interface JobStatus {
  id: string;
  queue: QueueName;
  name: string;
  state: string;
  data: unknown;
  progress: unknown;
  attemptsMade: number;
  returnValue: unknown;
  failedReason: string | null;
  createdAt: string | null;
  processedAt: string | null;
  finishedAt: string | null;
}

const iso = (epochMs: number | undefined) => (epochMs ? new Date(epochMs).toISOString() : null);

/**
 * Reads a job and its state.
 * @throws JobNotFoundError (HTTP 404)
 */
export async function readJobStatus(
  producer: Producer,
  queueName: QueueName,
  id: string,
  timeoutMs: number,
): Promise<JobStatus> {
  const queue = producer.queue(queueName);
  let job = await findJob(queue, id, timeoutMs);
  if (job === undefined) throw new JobNotFoundError(queueName, id);
  const read = job;
  const state = await readFromRedis(timeoutMs, () => read.getState());
  // A job that finished between the two reads would show "completed" without its result.
  if ((state === 'completed' || state === 'failed') && !job.finishedOn) {
    job = (await findJob(queue, id, timeoutMs)) ?? job;
  }
  return {
    id: String(job.id),
    queue: queueName,
    name: job.name,
    state,
    data: job.data,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    returnValue: job.returnvalue ?? null,
    failedReason: job.failedReason || null,
    createdAt: iso(job.timestamp),
    processedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}

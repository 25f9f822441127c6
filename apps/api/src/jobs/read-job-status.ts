import {
  DEFAULT_TENANT,
  isFinalJobState,
  JobNotFoundError,
  jobTenant,
  type Producer,
  type QueueName,
  readJobEndings,
  reportedState,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { findJob } from './find-job.js';
import { readFromRedis } from './read-from-redis.js';

/** A job as `GET /v1/queues/:queue/jobs/:id` answers it. */
export interface JobStatus {
  id: string;
  queue: QueueName;
  name: string;
  /** Who the job is for (`options.tenant`, or derived by the catalog). */
  tenant: string;
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
  connection: RedisConnection,
  queueName: QueueName,
  id: string,
  timeoutMs: number,
): Promise<JobStatus> {
  const queue = producer.queue(queueName);
  const endingOf = async () =>
    (await readFromRedis(timeoutMs, () => readJobEndings(connection, queue, [id]))).get(id);
  let job = await findJob(queue, id, timeoutMs);
  if (job === undefined) {
    // Cancelled before it ran: only its ending record is left.
    const ending = await endingOf();
    if (ending === undefined) throw new JobNotFoundError(queueName, id);
    return {
      id,
      queue: queueName,
      name: ending.name,
      tenant: ending.tenant ?? DEFAULT_TENANT,
      state: ending.state,
      data: null,
      progress: 0,
      attemptsMade: 0,
      returnValue: null,
      failedReason: ending.state,
      createdAt: iso(ending.createdAt ?? ending.at),
      processedAt: null,
      finishedAt: iso(ending.at),
    };
  }
  const read = job;
  let state: string = reportedState(await readFromRedis(timeoutMs, () => read.getState()));
  // A cancelled or expired job ends in BullMQ's failed set; its ending record tells them apart.
  if (state === 'failed') state = (await endingOf())?.state ?? state;
  // A job that finished between the two reads would show "completed" without its result.
  if (isFinalJobState(state) && !job.finishedOn) {
    job = (await findJob(queue, id, timeoutMs)) ?? job;
  }
  return {
    id: String(job.id),
    queue: queueName,
    name: job.name,
    tenant: jobTenant(job),
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

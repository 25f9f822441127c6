import type { Job, Queue } from 'bullmq';
import { readFromRedis } from './read-from-redis.js';

/** Longest id looked up; anything longer cannot be a Conveyor job id. */
const MAX_JOB_ID_LENGTH = 256;

/**
 * One job of a queue, or undefined. A job id shares the queue's key space with BullMQ's own keys
 * (`wait`, `meta`, `id`, ...): an id naming one of those is not a job, whatever Redis holds there,
 * and must read as "not found" rather than fail on a wrong key type.
 */
export async function findJob(
  queue: Queue,
  id: string,
  timeoutMs: number,
): Promise<Job | undefined> {
  if (id.length === 0 || id.length > MAX_JOB_ID_LENGTH) return undefined;
  let job: Job | undefined;
  try {
    job = await readFromRedis(timeoutMs, () => queue.getJob(id));
  } catch (error) {
    if (error instanceof Error && /^WRONGTYPE\b/.test(error.message)) return undefined;
    throw error;
  }
  const looksLikeJob =
    job !== undefined && typeof job.name === 'string' && Number(job.timestamp) > 0;
  return looksLikeJob ? job : undefined;
}

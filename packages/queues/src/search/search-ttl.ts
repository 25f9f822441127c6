import type { KeepJobs } from 'bullmq';
import { DEAD_LETTER_RETENTION_MS, FAILED_RETENTION_MS } from '../job-policies.js';
import { QUEUE_CATALOG, type QueueName } from '../queue-catalog.js';

const ageMs = (keep: boolean | number | KeepJobs | undefined): number =>
  typeof keep === 'object' && 'age' in keep && keep.age !== undefined ? keep.age * 1000 : 0;

/**
 * How long the index keys of a queue live after their last write: the queue's longest
 * retention (of completed and failed jobs; the failed retention when neither sets an age), plus
 * the job's delay. A key not written for that long indexes no job that still exists.
 */
export function searchTtlMs(queue: QueueName, delayMs = 0): number {
  const { removeOnComplete, removeOnFail } = QUEUE_CATALOG[queue].defaultJobOptions;
  const longest = Math.max(ageMs(removeOnComplete), ageMs(removeOnFail)) || FAILED_RETENTION_MS;
  return longest + delayMs;
}

/** How long the index keys of a dead-letter queue live: the dead-letter retention. */
export const DEAD_LETTER_SEARCH_TTL_MS = DEAD_LETTER_RETENTION_MS;

import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { JOB_ENDING_TTL_MS, jobEndingKey } from './redis-keys.js';

/**
 * The one place for the states a job can be in, as the API reports them: BullMQ's own states,
 * plus the two endings Conveyor adds on top of BullMQ's failed set.
 *
 * - `cancelled`: cancelled over the API. Not started: removed from the queue. Running: its
 *   handler's signal fired and it ended in BullMQ's failed set, not retried, never a dead letter.
 * - `expired`: not started by its deadline (`expiresInMs`); never ran, ended in the failed set
 *   and recorded with the dead letters (reason `expired`).
 *
 * Both are remembered by a small ending record per job (`<queue>:ended:<id>`), kept for the
 * failed retention: it is what tells a cancelled or expired job from a failed one in the failed
 * set, and what answers for a cancelled job that was removed before it ran.
 */
export const BULLMQ_JOB_STATES = [
  'waiting',
  'waiting-children',
  'delayed',
  'prioritized',
  'active',
  'completed',
  'failed',
] as const;

/**
 * The state the API reports for BullMQ's: every job waits its tenant's turn in BullMQ's
 * prioritized set (see `assignTurns`), so `prioritized` is reported as `waiting`, what it means
 * to a caller.
 */
export function reportedState(state: string): string {
  return state === 'prioritized' ? 'waiting' : state;
}

/** BullMQ's job counts as the API reports them: `prioritized` counted in `waiting`. */
export function reportedCounts(counts: Record<string, number>): Record<string, number> {
  if (counts.prioritized === undefined) return counts;
  const { prioritized, ...rest } = counts;
  return { ...rest, waiting: (rest.waiting ?? 0) + prioritized };
}

/** A job's end beyond BullMQ's states. */
export type JobEnding = 'cancelled' | 'expired';
export const JOB_ENDINGS = ['cancelled', 'expired'] as const satisfies readonly JobEnding[];

/** Every state `GET /v1/queues/:queue/jobs/:id` answers. */
export type JobState = (typeof BULLMQ_JOB_STATES)[number] | JobEnding | 'unknown';

/** States a job never leaves: it will not run (again). */
export const FINAL_JOB_STATES = [
  'completed',
  'failed',
  'cancelled',
  'expired',
] as const satisfies readonly JobState[];

/** True when a job in `state` will not run (again). */
export function isFinalJobState(state: string): boolean {
  return (FINAL_JOB_STATES as readonly string[]).includes(state);
}

/** What the ending record of a job keeps. */
export interface JobEndingRecord {
  state: JobEnding;
  /** The job's name. */
  name: string;
  /** Epoch ms of the ending. */
  at: number;
  /** Epoch ms the job was enqueued. */
  createdAt?: number;
  /** The job's tenant (records written before tenants existed have none). */
  tenant?: string;
}

/** Arguments of the `SET` that writes an ending record (for a MULTI or a plain call). */
export function jobEndingSetArgs(
  queue: Queue,
  id: string,
  record: JobEndingRecord,
): [string, string, 'PX', number] {
  return [jobEndingKey(queue, id), JSON.stringify(record), 'PX', JOB_ENDING_TTL_MS];
}

/** Writes the ending record of job `id`, kept for the failed retention. */
export async function recordJobEnding(
  redis: RedisConnection,
  queue: Queue,
  id: string,
  record: JobEndingRecord,
): Promise<void> {
  await redis.set(...jobEndingSetArgs(queue, id, record));
}

/** The ending records of these jobs, by id (only those that have one). */
export async function readJobEndings(
  redis: RedisConnection,
  queue: Queue,
  ids: string[],
): Promise<Map<string, JobEndingRecord>> {
  const endings = new Map<string, JobEndingRecord>();
  if (ids.length === 0) return endings;
  const values = await redis.mget(...ids.map((id) => jobEndingKey(queue, id)));
  values.forEach((value, index) => {
    const id = ids[index];
    if (value !== null && id !== undefined) endings.set(id, JSON.parse(value) as JobEndingRecord);
  });
  return endings;
}

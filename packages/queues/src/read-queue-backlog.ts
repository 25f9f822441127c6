import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { bullKey, jobKey } from './redis-keys.js';
import { BACKLOG_SCRIPT, MAX_PRIORITY_LEVELS } from './scripts/queue-backlog.js';

/** What a worker could start now in one queue, for autoscalers and the backlog gauges. */
export interface QueueBacklog {
  /** Waiting + prioritized + delayed jobs already due; 0 while the queue is paused. */
  backlog: number;
  /**
   * Seconds since the oldest of those became ready (its enqueue time, or for a due delayed job
   * its due time); 0 when the backlog is empty or the queue is paused.
   */
  oldestAgeSeconds: number;
  paused: boolean;
}

/**
 * Reads `queue`'s backlog (see {@link QueueBacklog}) on `connection`, which must reach the
 * queue's Redis (any role): one script over the queue's lists, then one pipeline reading the
 * enqueue time of the few jobs that may be the oldest. A job taken by a worker in between has
 * left the backlog and is left out of its age.
 */
export async function readQueueBacklog(
  connection: RedisConnection,
  queue: Queue,
): Promise<QueueBacklog> {
  const keys = (['wait', 'prioritized', 'delayed', 'meta'] as const).map((type) =>
    bullKey(queue, type),
  );
  const [backlog, now, dueAt, paused, ...candidates] = (await connection.eval(
    BACKLOG_SCRIPT,
    keys.length,
    ...keys,
    MAX_PRIORITY_LEVELS,
  )) as [number, number, number, number, ...string[]];
  if (paused === 1) return { backlog: 0, oldestAgeSeconds: 0, paused: true };
  let oldest = dueAt >= 0 ? Math.min(now, dueAt) : now;
  if (candidates.length > 0) {
    const pipeline = connection.pipeline();
    for (const id of candidates) pipeline.hget(jobKey(queue, id), 'timestamp');
    for (const [error, timestamp] of (await pipeline.exec()) ?? []) {
      const enqueuedAt = error ? Number.NaN : Number(timestamp ?? Number.NaN);
      if (enqueuedAt < oldest) oldest = enqueuedAt;
    }
  }
  return { backlog, oldestAgeSeconds: backlog === 0 ? 0 : (now - oldest) / 1000, paused: false };
}

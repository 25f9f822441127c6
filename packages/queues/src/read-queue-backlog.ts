import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { bullKey, jobKeyPrefix } from './redis-keys.js';
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
 * Reads `queue`'s backlog (see {@link QueueBacklog}) in one round trip on `connection`, which
 * must reach the queue's Redis (any role; under Cluster the queue's keys share one slot).
 */
export async function readQueueBacklog(
  connection: RedisConnection,
  queue: Queue,
): Promise<QueueBacklog> {
  const keys = (['wait', 'prioritized', 'delayed', 'meta'] as const).map((type) =>
    bullKey(queue, type),
  );
  const [backlog, oldestAgeMs, paused] = (await connection.eval(
    BACKLOG_SCRIPT,
    keys.length,
    ...keys,
    jobKeyPrefix(queue),
    MAX_PRIORITY_LEVELS,
  )) as [number, number, number];
  return { backlog, oldestAgeSeconds: oldestAgeMs / 1000, paused: paused === 1 };
}

import type { QueueName } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { enqueueLatency, type JobTimes, type LatencySeries } from './enqueue-latency.js';
import { type MinuteSeries, perMinuteSeries } from './per-minute-series.js';

/** What the console shows of one catalog queue. */
export interface QueueSnapshot {
  queue: QueueName;
  counts: {
    waiting: number;
    prioritized: number;
    delayed: number;
    active: number;
    completed: number;
    failed: number;
    /** Entries of its dead-letter queue. */
    deadLetters: number;
  };
  /** True when the queue is paused (a Slack rate limit, an operator). */
  paused: boolean;
  /** Jobs completed and failed per minute over the last hour (BullMQ's worker metrics). */
  completedPerMinute: MinuteSeries;
  failedPerMinute: MinuteSeries;
  /** Enqueue-to-start latency per minute over the last hour, from the newest started jobs. */
  latency: LatencySeries;
}

/**
 * How many of the newest completed, failed and active jobs the latency chart is measured on: a
 * sample, bounded so a busy queue costs the same to read as a quiet one.
 */
const LATENCY_SAMPLE = { completed: 200, failed: 50, active: 50 } as const;

/** The due and start times of the newest started jobs: their ids, then three fields each. */
async function readStartedJobTimes(client: RedisConnection, queue: Queue): Promise<JobTimes[]> {
  const [completed, failed, active] = await Promise.all([
    client.zrevrange(queue.toKey('completed'), 0, LATENCY_SAMPLE.completed - 1),
    client.zrevrange(queue.toKey('failed'), 0, LATENCY_SAMPLE.failed - 1),
    client.lrange(queue.toKey('active'), 0, LATENCY_SAMPLE.active - 1),
  ]);
  const ids = [...completed, ...failed, ...active];
  if (ids.length === 0) return [];
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hmget(queue.toKey(id), 'timestamp', 'delay', 'processedOn');
  const replies = (await pipeline.exec()) ?? [];
  const times: JobTimes[] = [];
  for (const [error, fields] of replies) {
    if (error) throw error;
    const [timestamp, delay, processedOn] = (fields as (string | null)[]).map(Number);
    // A job removed between the two reads, or one not started: no sample.
    if (!timestamp || !processedOn) continue;
    times.push({ timestamp, delay: delay || 0, processedOn });
  }
  return times;
}

/**
 * Reads a catalog queue's counts, per-minute metrics and latency sample (about ten commands and
 * one pipeline), on `client`, the connection the queues share.
 */
export async function readQueueSnapshot(
  client: RedisConnection,
  name: QueueName,
  queue: Queue,
  deadLetters: Queue,
  now = Date.now(),
): Promise<QueueSnapshot> {
  const [counts, deadLetterCount, paused, completed, failed, started] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'),
    deadLetters.getWaitingCount(),
    queue.isPaused(),
    queue.getMetrics('completed', 0, 59),
    queue.getMetrics('failed', 0, 59),
    readStartedJobTimes(client, queue),
  ]);
  return {
    queue: name,
    counts: {
      waiting: counts.waiting ?? 0,
      prioritized: counts.prioritized ?? 0,
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      deadLetters: deadLetterCount,
    },
    paused,
    completedPerMinute: perMinuteSeries(completed, now),
    failedPerMinute: perMinuteSeries(failed, now),
    latency: enqueueLatency(started, now),
  };
}

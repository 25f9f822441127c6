import { type Producer, QUEUE_NAMES, type QueueName, reportedCounts } from '@conveyor/queues';
import { readFromRedis } from './read-from-redis.js';

/** One catalog queue's jobs by state, and its dead letters. */
export interface QueueSummary {
  name: QueueName;
  /**
   * BullMQ states: waiting, active, delayed, completed, failed, paused, ...; jobs waiting their
   * tenant's turn (BullMQ's prioritized) are counted in waiting.
   */
  counts: Record<string, number>;
  deadLetters: number;
}

/** Reads every catalog queue's counts in parallel; used by `GET /v1/queues` and `/metrics`. */
export function readQueueCounts(producer: Producer, timeoutMs: number): Promise<QueueSummary[]> {
  return readFromRedis(timeoutMs, () =>
    Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const [counts, deadLetters] = await Promise.all([
          producer.queue(name).getJobCounts(),
          producer.deadLetters(name).count(),
        ]);
        return { name, counts: reportedCounts(counts), deadLetters };
      }),
    ),
  );
}

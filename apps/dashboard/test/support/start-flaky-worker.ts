import { closeRedisConnection, createRedisConnection, type RedisConfig } from '@conveyor/redis';
import { type Job, MetricsTime, Worker } from 'bullmq';

/** The error every job's first attempt fails with. */
export const FIRST_ATTEMPT_ERROR = 'first attempt fails on purpose';

/** A running worker; see {@link startFlakyWorker}. */
export interface FlakyWorker {
  worker: Worker;
  close(): Promise<void>;
}

/**
 * A real BullMQ worker on `queueName` that fails the first attempt of every job and completes
 * any later one with `{ attempt }`. With `attempts: 1` a job lands in `failed`, and a retry from
 * the dashboard then completes it. `attemptKey` says what counts as the same job: by default its
 * id; the console's tests key by document, so that a replay (a new job) completes. The worker
 * keeps BullMQ's per-minute metrics, as Conveyor's does.
 */
export function startFlakyWorker(
  queueName: string,
  redisConfig: RedisConfig,
  attemptKey: (job: Job) => string = (job) => String(job.id),
): FlakyWorker {
  const connection = createRedisConnection(redisConfig, 'worker', {
    connectionName: 'conveyor:dashboard-test:worker',
  });
  const seen = new Map<string, number>();
  const worker = new Worker(
    queueName,
    async (job) => {
      const key = attemptKey(job);
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      if (attempt === 1) throw new Error(FIRST_ATTEMPT_ERROR);
      return { attempt };
    },
    { connection, prefix: redisConfig.prefix, metrics: { maxDataPoints: MetricsTime.ONE_HOUR } },
  );
  worker.on('error', () => {
    // Connection errors while the test tears Redis connections down are expected.
  });
  return {
    worker,
    async close() {
      await worker.close();
      await closeRedisConnection(connection);
    },
  };
}

import { closeRedisConnection, createRedisConnection, type RedisConfig } from '@conveyor/redis';
import { Worker } from 'bullmq';

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
 * the dashboard then completes it.
 */
export function startFlakyWorker(queueName: string, redisConfig: RedisConfig): FlakyWorker {
  const connection = createRedisConnection(redisConfig, 'worker', {
    connectionName: 'conveyor:dashboard-test:worker',
  });
  const seen = new Map<string, number>();
  const worker = new Worker(
    queueName,
    async (job) => {
      const attempt = (seen.get(String(job.id)) ?? 0) + 1;
      seen.set(String(job.id), attempt);
      if (attempt === 1) throw new Error(FIRST_ATTEMPT_ERROR);
      return { attempt };
    },
    { connection, prefix: redisConfig.prefix },
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

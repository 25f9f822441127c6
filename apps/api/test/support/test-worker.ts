import type { QueueName } from '@conveyor/queues';
import { createRedisConnection } from '@conveyor/redis';
import { type Job, Worker } from 'bullmq';
import type { TestApp } from './test-app.js';

/** A BullMQ Worker on a test app's queue and prefix, on a connection of its own. */
export interface TestWorker {
  worker: Worker;
  close(): Promise<void>;
}

/** Starts a worker running `processor` on `queue` of `app`; resolves once it is ready. */
export async function startTestWorker(
  app: TestApp,
  queue: QueueName,
  processor: (job: Job) => Promise<unknown>,
): Promise<TestWorker> {
  const connection = createRedisConnection(app.config.redis, 'worker');
  const worker = new Worker(queue, processor, {
    connection,
    prefix: app.config.redis.prefix,
  });
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return {
    worker,
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}

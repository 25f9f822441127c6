/**
 * Baseline of the worker figures: one raw BullMQ Worker per queue with a no-op processor, at the
 * concurrency it is given, on its own connection options. Nothing around the processor: no
 * logger, metrics, registry, limiter or dead letters.
 *
 * Environment: REDIS_URL, QUEUE_PREFIX, QUEUES (comma-separated), CONCURRENCY.
 */
import { Worker } from 'bullmq';

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const queues = (process.env.QUEUES ?? 'slack-events').split(',');
const workers = queues.map((queue) => {
  const worker = new Worker(
    queue,
    async (job) => ({ ignored: true, reason: `no handler for ${job.name}` }),
    {
      connection: { host: redisUrl.hostname, port: Number(redisUrl.port) },
      prefix: process.env.QUEUE_PREFIX ?? 'baseline',
      concurrency: Number(process.env.CONCURRENCY ?? 10),
    },
  );
  worker.on('error', (error) => process.stderr.write(`worker error: ${error.message}\n`));
  return worker;
});

const stop = () => {
  void Promise.all(workers.map((worker) => worker.close())).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

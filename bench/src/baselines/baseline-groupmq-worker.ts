/**
 * Peer of the tenant figures: a groupmq Worker (per-group FIFO queue on Redis, one job of a group
 * running at a time) with a no-op handler, at the concurrency it is given. groupmq keeps no events
 * stream, so the handler itself writes one line `start <group> <jobId> <ms>` to stdout (the log
 * file) for the jobs of the groups in REPORT_GROUPS, on the calibrated wall clock (the scale of
 * Date.now() and of Redis's time on the same machine). Prints `ready` once the worker runs.
 *
 * Environment: REDIS_URL, NAMESPACE, CONCURRENCY, REPORT_GROUPS (comma-separated, may be empty).
 */
import { Queue, Worker } from 'groupmq';
import { Redis } from 'ioredis';
import { calibratedWallClock } from '../support/wall-clock.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const reported = new Set((process.env.REPORT_GROUPS ?? '').split(',').filter(Boolean));
const now = calibratedWallClock();
const queue = new Queue({ redis, namespace: process.env.NAMESPACE ?? 'bench' });
const worker = new Worker({
  queue,
  concurrency: Number(process.env.CONCURRENCY ?? 50),
  handler: async (job) => {
    if (reported.has(job.groupId)) {
      process.stdout.write(`start ${job.groupId} ${job.id} ${now().toFixed(3)}\n`);
    }
    return { ignored: true };
  },
});
worker.on('error', (error) => process.stderr.write(`worker error: ${error.message}\n`));
void worker.run();
process.stdout.write('ready\n');

const stop = () => {
  void worker
    .close()
    .then(() => queue.close())
    .finally(() => {
      redis.disconnect();
      process.exit(0);
    });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

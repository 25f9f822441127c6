/**
 * Baseline of the HTTP figures: the minimal way to put BullMQ behind HTTP. Express 5 with its
 * JSON body parser, one Queue per catalog queue created at start, and a route that awaits
 * `queue.add` per request. No authentication, validation, logging or metrics. Jobs get the
 * catalog's job options, so Redis does the same work per job as for Conveyor.
 *
 * Environment: REDIS_URL, PORT, QUEUE_PREFIX.
 */
import { QUEUE_CATALOG, QUEUE_NAMES } from '@conveyor/queues';
import { Queue } from 'bullmq';
import express from 'express';

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: redisUrl.hostname, port: Number(redisUrl.port) };
const prefix = process.env.QUEUE_PREFIX ?? 'baseline';

const queues = new Map<string, Queue>(
  QUEUE_NAMES.map((name) => [
    name,
    new Queue(name, {
      connection,
      prefix,
      defaultJobOptions: QUEUE_CATALOG[name].defaultJobOptions,
    }),
  ]),
);

const app = express();
app.use(express.json());
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/v1/queues/:queue/jobs', async (req, res) => {
  const queue = queues.get(req.params.queue);
  if (queue === undefined) {
    res.status(404).json({ error: 'unknown queue' });
    return;
  }
  const body = req.body as { name?: string; data?: unknown };
  const job = await queue.add(body.name ?? 'job', body.data);
  res.status(202).json({ id: job.id, queue: queue.name, name: job.name });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const stop = () => {
  server.close();
  void Promise.all([...queues.values()].map((queue) => queue.close())).finally(() =>
    process.exit(0),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

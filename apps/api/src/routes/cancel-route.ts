import { DEFAULT_TENANT, JobCanceller, jobTenant, readJobEndings } from '@conveyor/queues';
import type { Express } from 'express';
import { queueNameOf } from '../http/queue-name-of.js';
import { sendJson } from '../http/send-json.js';
import { findJob } from '../jobs/find-job.js';
import { readFromRedis } from '../jobs/read-from-redis.js';
import type { RouteContext } from './route-context.js';

/** The cancel route, for the console and for clients' own routes. */
export const CANCEL_ROUTE = '/v1/queues/:queue/jobs/:id/cancel';

/**
 * `POST /v1/queues/:queue/jobs/:id/cancel`: 202 `{ id, state }` (`cancelled` when removed before
 * it ran, `active` when its worker was told), 409 `JOB_FINISHED` with the state of a job that
 * already ended, 404 for none.
 */
export function registerCancelRoute(app: Express, ctx: RouteContext): void {
  const { producer, guard } = ctx;
  const canceller = new JobCanceller(ctx.producerConnection);
  app.post(CANCEL_ROUTE, guard, async (req, res) => {
    const queueName = queueNameOf(req);
    ctx.access.assert(res, 'cancel', queueName);
    const id = String(req.params.id);
    const queue = producer.queue(queueName);
    const job = await findJob(queue, id, ctx.redisTimeoutMs);
    if (ctx.access.tenantsOfRequest(res) !== undefined) {
      // A job of another tenant, running or ended, is answered as absent and left alone.
      const tenant =
        job === undefined
          ? (
              await readFromRedis(ctx.redisTimeoutMs, () =>
                readJobEndings(ctx.producerConnection, queue, [id]),
              )
            ).get(id)?.tenant
          : jobTenant(job);
      ctx.access.assertJobVisible(res, queueName, id, tenant ?? DEFAULT_TENANT);
    }
    const result = await readFromRedis(ctx.redisTimeoutMs, () => canceller.cancel(queue, id, job));
    sendJson(res, 202, result);
  });
}

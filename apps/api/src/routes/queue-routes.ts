import {
  DEFAULT_TENANT,
  type DeadLetterData,
  JobNotFoundError,
  QUEUE_CATALOG,
  readQueueBacklog,
  readTenants,
} from '@conveyor/queues';
import type { Express } from 'express';
import { clientOf } from '../auth/authenticated-client.js';
import { deadLetterPageSchema, tenantPageSchema } from '../http/http-schemas.js';
import { parseQuery } from '../http/parse-query.js';
import { queueNameOf } from '../http/queue-name-of.js';
import { sendJson } from '../http/send-json.js';
import { findJob } from '../jobs/find-job.js';
import { readFromRedis } from '../jobs/read-from-redis.js';
import { readQueueCounts } from '../jobs/read-queue-counts.js';
import type { RouteContext } from './route-context.js';

/**
 * `GET /v1/queues`, `GET .../backlog`, `GET .../tenants`, `GET .../dead-letters`,
 * `POST .../dead-letters/:id/replay`.
 */
export function registerQueueRoutes(app: Express, ctx: RouteContext): void {
  const { producer, producerConnection, guard, redisTimeoutMs, access } = ctx;

  app.get('/v1/queues', guard, async (_req, res) => {
    const client = clientOf(res) ?? '';
    const summaries = await readQueueCounts(producer, redisTimeoutMs);
    // A scoped client sees only the queues it may read.
    const readable = summaries.filter((summary) => access.allows(client, 'read', summary.name));
    sendJson(res, 200, {
      queues: readable.map((summary) => ({
        name: summary.name,
        description: QUEUE_CATALOG[summary.name].description,
        counts: summary.counts,
        deadLetters: summary.deadLetters,
      })),
    });
  });

  // What an autoscaler polls (KEDA's metrics-api scaler): one script, one round trip.
  app.get('/v1/queues/:queue/backlog', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'read', queue);
    const backlog = await readFromRedis(redisTimeoutMs, () =>
      readQueueBacklog(producerConnection, producer.queue(queue)),
    );
    sendJson(res, 200, { queue, ...backlog });
  });

  app.get('/v1/queues/:queue/tenants', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'read', queue);
    const { limit, cursor } = parseQuery(tenantPageSchema, req.query);
    // A client with tenant scopes sees only its tenants.
    const only = access.tenantsOfRequest(res);
    const page = await readFromRedis(redisTimeoutMs, () =>
      readTenants(producerConnection, producer.queue(queue), {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
        ...(only === undefined ? {} : { only }),
      }),
    );
    sendJson(res, 200, { queue, ...page });
  });

  app.get('/v1/queues/:queue/dead-letters', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'read', queue);
    const page = parseQuery(deadLetterPageSchema, req.query);
    // A client with tenant scopes sees only its tenants' letters.
    const tenants = access.tenantsOfRequest(res);
    const { total, items } = await readFromRedis(redisTimeoutMs, () =>
      producer.deadLetters(queue).list({ ...page, tenants }),
    );
    sendJson(res, 200, { queue, total, offset: page.offset, limit: page.limit, items });
  });

  app.post('/v1/queues/:queue/dead-letters/:id/replay', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'replay', queue);
    const id = String(req.params.id);
    // The replay endpoint takes no body; whatever was sent is left unread.
    const deadLetters = producer.deadLetters(queue);
    const letter = await findJob(deadLetters.queue, id, redisTimeoutMs);
    if (letter === undefined) throw new JobNotFoundError(deadLetters.name, id);
    // Another tenant's letter is not found, as its jobs are: a 403 would confirm it exists.
    const tenant = (letter.data as DeadLetterData).tenant ?? DEFAULT_TENANT;
    access.assertJobVisible(res, deadLetters.name, id, tenant);
    const newId = await producer.replayDeadLetter(queue, id);
    sendJson(res, 202, { id: newId, queue });
  });
}

import { QUEUE_NAMES, searchJobs } from '@conveyor/queues';
import type { Express } from 'express';
import { clientOf } from '../auth/authenticated-client.js';
import { parseQuery } from '../http/parse-query.js';
import { sendJson } from '../http/send-json.js';
import { readFromRedis } from '../jobs/read-from-redis.js';
import type { RouteContext } from './route-context.js';
import { searchQuerySchema } from './search-schemas.js';

/** The search route, for clients and the console. */
export const SEARCH_ROUTE = '/v1/search';

/**
 * `GET /v1/search?key=&value=[&queue=&state=&limit=&cursor=]`: jobs found by a business key,
 * newest first, dead letters included, in the queues the client may read (and of its tenants,
 * when it has tenant scopes). An idempotency key is looked up in the calling client's own keys.
 */
export function registerSearchRoute(app: Express, ctx: RouteContext): void {
  const { access, guard, producerConnection, redisTimeoutMs } = ctx;
  app.get(SEARCH_ROUTE, guard, async (req, res) => {
    const query = parseQuery(searchQuerySchema, req);
    const client = clientOf(res) ?? '';
    if (query.queue !== undefined) access.assert(res, 'read', query.queue);
    const queues = QUEUE_NAMES.filter((queue) => access.allows(client, 'read', queue));
    // A client with tenant scopes finds only its tenants' jobs.
    const tenants = access.tenantsOf(client);
    const page = await readFromRedis(redisTimeoutMs, () =>
      searchJobs(producerConnection, ctx.config.redis.prefix, {
        ...query,
        queues,
        client,
        ...(tenants ? { tenants } : {}),
      }),
    );
    sendJson(res, 200, page);
  });
}

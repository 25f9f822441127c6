import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { QUEUE_NAMES, searchJobs } from '@conveyor/queues';
import type { Express } from 'express';
import { clientOf } from '../auth/authenticated-client.js';
import type { FastRoute } from '../http/fast-path.js';
import { parseQuery } from '../http/parse-query.js';
import { sendJson } from '../http/send-json.js';
import { readFromRedis } from '../jobs/read-from-redis.js';
import type { RouteContext } from './route-context.js';
import { searchQuerySchema } from './search-schemas.js';

/** The search route, for clients and the console. */
export const SEARCH_ROUTE = '/v1/search';

/** Answers one search once the guards passed; `query` is the parsed query string. */
type SearchHandler = (req: IncomingMessage, res: ServerResponse, query: unknown) => Promise<void>;

/**
 * `GET /v1/search?key=&value=[&queue=&state=&limit=&cursor=]`: jobs found by a business key,
 * newest first, dead letters included, in the queues the client may read (and of its tenants,
 * when it has tenant scopes). An idempotency key is looked up in the calling client's own keys.
 */
function createSearchHandler(ctx: RouteContext): SearchHandler {
  const { access, producerConnection, redisTimeoutMs } = ctx;
  return async (_req, res, rawQuery) => {
    const query = parseQuery(searchQuerySchema, rawQuery);
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
  };
}

/**
 * Registers the search route on Express and returns it for the fast path (`createFastPath`),
 * which serves the canonical form of the path: a console or client polling a search pays no
 * Express setup per request. The query string is parsed as Express parses it (`node:querystring`).
 */
export function registerSearchRoute(app: Express, ctx: RouteContext): FastRoute {
  const handler = createSearchHandler(ctx);
  app.get(SEARCH_ROUTE, ctx.guard, (req, res) => handler(req, res, req.query));
  return {
    method: 'GET',
    path: /^\/v1\/search$/,
    template: SEARCH_ROUTE,
    handle: (req, res, _param, query) => handler(req, res, parseQueryString(query)),
  };
}

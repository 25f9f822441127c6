import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EnqueueOptions, QUOTA_TTL_MARGIN_MS } from '@conveyor/queues';
import { clientOf } from '../auth/authenticated-client.js';
import type { RouteContext } from '../routes/route-context.js';
import { idempotencyKeyOf } from './idempotency-key.js';

/**
 * How an API enqueue is stored: its `Idempotency-Key` scoped to the client that sent it, the
 * tenants its scopes allow, and the client's quota (`API_CLIENT_QUOTAS`, its own entry or `*`)
 * when it has one.
 */
export function enqueueOptionsOf(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
): EnqueueOptions {
  const options: EnqueueOptions = {};
  const client = clientOf(res);
  const idempotencyKey = idempotencyKeyOf(req);
  if (idempotencyKey !== undefined) {
    options.idempotencyKey = idempotencyKey;
    if (client !== undefined) options.client = client;
  }
  const tenants = client === undefined ? undefined : ctx.access.tenantsOf(client);
  if (tenants !== undefined) options.tenants = tenants;
  const { clientQuotas, maxDelayMs } = ctx.config.api;
  const limits =
    client === undefined ? undefined : (clientQuotas.get(client) ?? clientQuotas.get('*'));
  if (client !== undefined && limits !== undefined) {
    options.quota = { client, ...limits, ttlMs: maxDelayMs + QUOTA_TTL_MARGIN_MS };
  }
  return options;
}

import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { tenantKeys } from '../redis-keys.js';
import { jobTenant } from './job-tenant.js';

/** One tenant of a queue, as `GET /v1/queues/:queue/tenants` lists it. */
export interface TenantSummary {
  tenant: string;
  /**
   * Its jobs not started yet: turns it holds past the queue's head, plus its jobs parked at its
   * concurrency cap. Delayed jobs not due are not counted.
   */
  waiting: number;
  /** Its jobs running now. */
  active: number;
  /** When it is paused ({@link limitTenant}), until when (epoch ms). */
  limitedUntil?: number;
}

/** A page of {@link readTenants}. */
export interface TenantPage {
  tenants: TenantSummary[];
  /** The cursor of the next page, when there is one. */
  next?: string;
}

/** Options for {@link readTenants}. */
export interface ReadTenantsOptions {
  /** @defaultValue 20 */
  limit?: number;
  /** `next` of the previous page. @defaultValue the first page */
  cursor?: string;
  /**
   * Only these tenants (a tenant-scoped client's), read by name instead of from the top of the
   * backlog. @defaultValue every tenant
   */
  only?: ReadonlySet<string>;
}

/** Deepest page a cursor reaches: tenants past it are left out of the listing. */
export const MAX_TENANT_OFFSET = 10_000;
/** Running jobs read for the `active` counts (the fleet's concurrency, normally far less). */
const MAX_ACTIVE_READ = 10_000;

const LEVEL = 0x100000000;

/**
 * Reads the tenants of `queue` with work waiting or running, or paused, largest backlog first, a page at a
 * time (the cursor is the offset reached). Costs a few round trips: the queue head, the tenants
 * of the page and its neighbours (never every tenant), and the tenant of each running job.
 * Also what the dashboard's console calls.
 */
export async function readTenants(
  connection: RedisConnection,
  queue: Queue,
  options: ReadTenantsOptions = {},
): Promise<TenantPage> {
  const limit = options.limit ?? 20;
  const offset = Math.min(Number(options.cursor ?? 0) || 0, MAX_TENANT_OFFSET);
  const reach = offset + limit + 1;
  const now = Date.now();
  const only = options.only === undefined ? undefined : [...options.only];
  const [head, turns, parked, activeIds, paused] = await Promise.all([
    connection.zrange(queue.toKey('prioritized'), 0, 0, 'WITHSCORES'),
    only
      ? scoresOf(connection, tenantKeys.turns(queue), only)
      : connection.zrevrange(tenantKeys.turns(queue), 0, reach - 1, 'WITHSCORES'),
    only
      ? scoresOf(connection, tenantKeys.parkedIndex(queue), only)
      : connection.zrevrange(tenantKeys.parkedIndex(queue), 0, reach - 1, 'WITHSCORES'),
    connection.lrange(queue.toKey('active'), 0, MAX_ACTIVE_READ - 1),
    only
      ? pausedOf(connection, tenantKeys.limitedIndex(queue), only, now)
      : connection.zrangebyscore(
          tenantKeys.limitedIndex(queue),
          `(${now}`,
          '+inf',
          'LIMIT',
          0,
          reach,
        ),
  ]);
  const floor =
    head[1] === undefined ? Number.POSITIVE_INFINITY : Math.floor(Number(head[1]) / LEVEL);
  const waiting = new Map<string, number>();
  for (let i = 0; i < turns.length; i += 2) {
    const backlog = Number(turns[i + 1]) - floor;
    if (backlog > 0) waiting.set(turns[i]!, backlog);
  }
  for (let i = 0; i < parked.length; i += 2) {
    const tenant = parked[i]!;
    waiting.set(tenant, (waiting.get(tenant) ?? 0) + Number(parked[i + 1]));
  }
  const active = await activeByTenant(connection, queue, activeIds);
  if (only)
    for (const tenant of active.keys()) if (!options.only?.has(tenant)) active.delete(tenant);
  const all = [...new Set([...waiting.keys(), ...active.keys(), ...paused])]
    .map((tenant) => ({
      tenant,
      waiting: waiting.get(tenant) ?? 0,
      active: active.get(tenant) ?? 0,
    }))
    .sort(
      (a, b) => b.waiting - a.waiting || b.active - a.active || a.tenant.localeCompare(b.tenant),
    );
  const page = all.slice(offset, offset + limit);
  const limits =
    page.length === 0
      ? []
      : await connection.mget(...page.map(({ tenant }) => tenantKeys.limited(queue, tenant)));
  const tenants = page.map((summary, index): TenantSummary => {
    const until = Number(limits[index] ?? 0);
    return until > now ? { ...summary, limitedUntil: until } : summary;
  });
  const more = all.length > offset + limit && offset + limit < MAX_TENANT_OFFSET;
  return more ? { tenants, next: String(offset + limit) } : { tenants };
}

/** The scores of `members` in sorted set `key`, as ZREVRANGE WITHSCORES lists them (absent left out). */
async function scoresOf(
  connection: RedisConnection,
  key: string,
  members: string[],
): Promise<string[]> {
  if (members.length === 0) return [];
  const scores = await connection.zmscore(key, ...members);
  return members.flatMap((member, index) => {
    const score = scores[index];
    return score === null || score === undefined ? [] : [member, String(score)];
  });
}

/** Which of `members` are paused past `now` in the limited index. */
async function pausedOf(
  connection: RedisConnection,
  key: string,
  members: string[],
  now: number,
): Promise<string[]> {
  const scored = await scoresOf(connection, key, members);
  return scored.filter((_, index) => index % 2 === 0 && Number(scored[index + 1]) > now);
}

/** Running jobs per tenant, from the options of each job in BullMQ's active list. */
async function activeByTenant(
  connection: RedisConnection,
  queue: Queue,
  ids: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (ids.length === 0) return counts;
  const pipeline = connection.pipeline();
  for (const id of ids) pipeline.hget(queue.toKey(id), 'opts');
  const answers = (await pipeline.exec()) ?? [];
  for (const [error, opts] of answers) {
    if (error || typeof opts !== 'string') continue;
    const tenant = jobTenant({ opts: JSON.parse(opts) });
    counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
  }
  return counts;
}

/** The two tenant gauges of a queue: no label per tenant (unbounded), only these. */
export interface TenantGaugeValues {
  /** Tenants with jobs waiting (turns past the head or parked). */
  activeTenants: number;
  /** The largest number of jobs one tenant has waiting. */
  largestTenantBacklog: number;
}

/** Reads {@link TenantGaugeValues} of `queue`: a few constant-time reads. */
export async function readTenantGauges(
  connection: RedisConnection,
  queue: Queue,
): Promise<TenantGaugeValues> {
  const [head, top, parkedTop, parkedCount] = await Promise.all([
    connection.zrange(queue.toKey('prioritized'), 0, 0, 'WITHSCORES'),
    connection.zrevrange(tenantKeys.turns(queue), 0, 0, 'WITHSCORES'),
    connection.zrevrange(tenantKeys.parkedIndex(queue), 0, 0, 'WITHSCORES'),
    connection.zcard(tenantKeys.parkedIndex(queue)),
  ]);
  if (head[1] === undefined) {
    return { activeTenants: parkedCount, largestTenantBacklog: Number(parkedTop[1] ?? 0) };
  }
  const floor = Math.floor(Number(head[1]) / LEVEL);
  const withTurns = await connection.zcount(tenantKeys.turns(queue), `(${floor}`, '+inf');
  return {
    activeTenants: withTurns + parkedCount,
    largestTenantBacklog: Math.max(Number(top[1] ?? 0) - floor, Number(parkedTop[1] ?? 0), 0),
  };
}

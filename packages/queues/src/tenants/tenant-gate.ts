import type { RedisConnection } from '@conveyor/redis';
import { Job, type Queue } from 'bullmq';
import { tenantKeys } from '../redis-keys.js';
import { jobTenant } from './job-tenant.js';

/** A tenant's rate limit: at most `max` of its jobs start per `duration` milliseconds. */
export interface TenantLimiter {
  max: number;
  duration: number;
}

/** Options for {@link TenantGate}. */
export interface TenantGateOptions {
  /** The worker connection (any role that reaches the queue's Redis). */
  connection: RedisConnection;
  /** The queue the gate admits jobs of (a control `Queue`: keys and `Job.fromId`). */
  queue: Queue;
  /**
   * At most this many jobs of one tenant run at once, across every worker process.
   * @defaultValue no cap
   */
  concurrency?: number;
  /**
   * At most `max` jobs of one tenant start per `duration` ms, across every worker process.
   * @defaultValue no limit
   */
  limiter?: TenantLimiter;
  /**
   * How long a job parked at its tenant's cap waits before it comes back on its own, should the
   * worker that would promote it die first; multiplied by its place among the tenant's parked
   * jobs over the cap, at most an hour. Normally a finishing job promotes it at once.
   * @defaultValue 60000
   */
  parkMs?: number;
}

/** What {@link TenantGate.admit} decided for a job the worker took. */
export type Admission =
  | { admitted: true }
  | {
      admitted: false;
      /** limited: its tenant is paused; rate: over its rate; cap: at its concurrency cap. */
      reason: 'limited' | 'rate' | 'cap';
      /** When the job comes back (epoch ms; for `cap`, at the latest). */
      until: number;
    };

const REASONS = { 1: 'limited', 2: 'rate', 3: 'cap' } as const;
const MAX_PARK_MS = 60 * 60 * 1000;
/** A running slot left by a job whose worker vanished is dropped by then at the latest. */
const RUNNING_TTL_MS = 24 * 60 * 60 * 1000;

const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/** Takes the next parked job of a tenant off its list, keeping the parked index in step. */
const POP_PARKED = `
local function popParked(parked, index, tenant)
  local id = redis.call('LPOP', parked)
  local left = redis.call('LLEN', parked)
  if left > 0 then redis.call('ZADD', index, left, tenant) else redis.call('ZREM', index, tenant) end
  return id
end
`;

/**
 * KEYS: limited, rate, slot, running, parked. ARGV: jobId, cap, max, period.
 * Returns {code, until or parked count}: 0 admitted, 1 tenant paused, 2 over its rate (its slot
 * is reserved: it is delayed once, to it), 3 at its cap.
 *
 * The rate limit is a sliding log of the tenant's last `max` start slots (ZSET, score = slot):
 * slots are handed out in order, each at least `period` after the one `max` places before it,
 * so no window of `period` ms holds more than `max` starts, bursts included.
 */
const ADMIT_SCRIPT = `${NOW}
local limitedKey, rateKey, slotKey, running, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local jobId, cap, max, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local limited = tonumber(redis.call('GET', limitedKey) or '0')
if limited > now then return {1, limited} end
local holds = cap > 0 and redis.call('ZSCORE', running, jobId)
if cap > 0 and not holds and redis.call('ZCARD', running) >= cap then
  return {3, redis.call('LLEN', parked)}
end
if max > 0 and redis.call('DEL', slotKey) == 0 then
  local slot = now
  local last = redis.call('ZRANGE', rateKey, -1, -1, 'WITHSCORES')
  if last[2] then slot = math.max(slot, tonumber(last[2])) end
  if redis.call('ZCARD', rateKey) >= max then
    local before = redis.call('ZRANGE', rateKey, -max, -max, 'WITHSCORES')
    slot = math.max(slot, tonumber(before[2]) + period)
  end
  redis.call('ZADD', rateKey, slot, slot .. ':' .. jobId)
  redis.call('ZREMRANGEBYRANK', rateKey, 0, -(max + 1))
  redis.call('PEXPIRE', rateKey, slot - now + period)
  if slot > now then
    redis.call('SET', slotKey, slot, 'PX', slot - now + period + 60000)
    return {2, slot}
  end
end
if cap > 0 and not holds then
  redis.call('ZADD', running, now, jobId)
  redis.call('PEXPIRE', running, ${RUNNING_TTL_MS})
end
return {0, 0}
`;

/**
 * KEYS: running, then the lock key of each member in ARGV[3..]. ARGV: jobId, cap, members...
 * Drops members whose BullMQ lock is gone (their worker died), then takes a slot if one is free.
 */
const HEAL_SCRIPT = `${NOW}
local running, jobId, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('ZREM', running, ARGV[i + 1]) end
end
if redis.call('ZCARD', running) >= cap then return 0 end
redis.call('ZADD', running, now, jobId)
redis.call('PEXPIRE', running, ${RUNNING_TTL_MS})
return 1
`;

/**
 * KEYS: running, parked, parked index. ARGV: jobId, cap, tenant, ttl. Records a job that was
 * moved to delayed at its tenant's cap; when a slot freed meanwhile, returns the next parked job
 * to promote (so a release between the check and the record is not lost).
 */
const PARK_SCRIPT = `${POP_PARKED}
local running, parked, index = KEYS[1], KEYS[2], KEYS[3]
local jobId, cap, tenant, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
redis.call('RPUSH', parked, jobId)
redis.call('PEXPIRE', parked, ttl)
redis.call('ZADD', index, redis.call('LLEN', parked), tenant)
if redis.call('ZCARD', running) < cap then return popParked(parked, index, tenant) end
return false
`;

/** KEYS: running, parked, parked index. ARGV: jobId, cap, tenant. Frees the job's slot. */
const RELEASE_SCRIPT = `${POP_PARKED}
local running, parked, index = KEYS[1], KEYS[2], KEYS[3]
local jobId, cap, tenant = ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('ZREM', running, jobId)
if redis.call('ZCARD', running) < cap then return popParked(parked, index, tenant) end
return false
`;

/** KEYS: parked, parked index. ARGV: tenant. The next parked job, for a promotion that failed. */
const POP_SCRIPT = `${POP_PARKED}
return popParked(KEYS[1], KEYS[2], ARGV[1])
`;

/**
 * KEYS: limited, limited index. ARGV: ms, tenant. Pauses the tenant until now + ms, never
 * shortening a pause; the index (tenant -> until) lists paused tenants, past ones pruned here.
 */
const LIMIT_SCRIPT = `${NOW}
local untilMs = now + tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= untilMs then return current end
redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]))
redis.call('ZADD', KEYS[2], untilMs, ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1])) end
return untilMs
`;

/**
 * Pauses one tenant of a queue: its jobs taken by any worker before `ms` from now go back to
 * the delayed set until then, without spending an attempt; other tenants are not affected.
 * Returns when the pause ends (epoch ms on Redis's clock). What a Slack 429 for one workspace
 * calls; takes effect in workers whose queue has a {@link TenantGate}.
 */
export async function limitTenant(
  connection: RedisConnection,
  queue: Queue,
  tenant: string,
  ms: number,
): Promise<number> {
  const keys = [tenantKeys.limited(queue, tenant), tenantKeys.limitedIndex(queue)];
  const pauseMs = Math.max(1, Math.ceil(ms));
  return Number(await connection.eval(LIMIT_SCRIPT, 2, ...keys, pauseMs, tenant));
}

/**
 * Admits each job a worker took, per its tenant: the tenant's pause ({@link limitTenant}), its
 * concurrency cap and its rate limit, across every worker process, in one round trip for a job
 * admitted. A job not admitted goes to BullMQ's delayed set without spending an attempt:
 * - paused or over its rate: delayed once, to the end of the pause or to its reserved start
 *   slot (no window of the limiter's duration holds more than its max starts);
 * - at its cap: parked (delayed for long, listed per tenant); each job that ends promotes the
 *   next parked one, so a tenant flooding at its cap costs one park per job, no busy loop.
 *
 * A worker killed while holding slots heals with no timer: when its tenant is at the cap, slots
 * whose BullMQ lock is gone are dropped, and its stalled jobs, taken again, keep their slot.
 * Every key lives in the queue's hash slot; every key a script touches is in its KEYS.
 */
export class TenantGate {
  readonly #connection: RedisConnection;
  readonly #queue: Queue;
  readonly #cap: number;
  readonly #max: number;
  readonly #period: number;
  readonly #parkMs: number;

  constructor(options: TenantGateOptions) {
    this.#connection = options.connection;
    this.#queue = options.queue;
    this.#cap = options.concurrency ?? 0;
    this.#period = options.limiter?.duration ?? 0;
    this.#max = options.limiter?.max ?? 0;
    this.#parkMs = options.parkMs ?? 60_000;
  }

  /** True when jobs hold a slot while they run: {@link release} must be called after each. */
  get capped(): boolean {
    return this.#cap > 0;
  }

  /**
   * Decides whether `job` (active, locked by `token`) may run now. When not, it has been moved
   * to the delayed set already: the processor throws BullMQ's DelayedError.
   */
  async admit(job: Job, token: string): Promise<Admission> {
    const tenant = jobTenant(job);
    const id = String(job.id);
    let [code, value] = await this.#admit(tenant, id);
    if (code === 3 && (await this.#heal(tenant, id))) [code, value] = await this.#admit(tenant, id);
    if (code === 0) return { admitted: true };
    const reason = REASONS[code as 1 | 2 | 3];
    if (reason === 'cap')
      return { admitted: false, reason, until: await this.#park(job, token, tenant, value) };
    // It may hold a slot (taken when its dead neighbours were dropped): it does not run now.
    if (this.capped) await this.release(job);
    await job.moveToDelayed(value, token);
    return { admitted: false, reason, until: value };
  }

  /** Frees the slot of a job that ended (or was put back) and promotes its tenant's next one. */
  async release(job: Job): Promise<void> {
    if (!this.capped) return;
    const tenant = jobTenant(job);
    const next = (await this.#connection.eval(
      RELEASE_SCRIPT,
      3,
      tenantKeys.running(this.#queue, tenant),
      tenantKeys.parked(this.#queue, tenant),
      tenantKeys.parkedIndex(this.#queue),
      String(job.id),
      this.#cap,
      tenant,
    )) as string | null;
    await this.#promote(tenant, next);
  }

  /** {@link limitTenant} on this gate's queue. */
  limit(tenant: string, ms: number): Promise<number> {
    return limitTenant(this.#connection, this.#queue, tenant, ms);
  }

  async #admit(tenant: string, id: string): Promise<[number, number]> {
    const queue = this.#queue;
    return (await this.#connection.eval(
      ADMIT_SCRIPT,
      5,
      tenantKeys.limited(queue, tenant),
      tenantKeys.rate(queue, tenant),
      tenantKeys.slot(queue, id),
      tenantKeys.running(queue, tenant),
      tenantKeys.parked(queue, tenant),
      id,
      this.#cap,
      this.#max,
      this.#period,
    )) as [number, number];
  }

  /** Drops slots held by jobs whose lock is gone, then takes one if free. */
  async #heal(tenant: string, id: string): Promise<boolean> {
    const running = tenantKeys.running(this.#queue, tenant);
    const members = await this.#connection.zrange(running, 0, -1);
    const locks = members.map((member) => tenantKeys.lock(this.#queue, member));
    const taken = await this.#connection.eval(
      HEAL_SCRIPT,
      1 + locks.length,
      running,
      ...locks,
      id,
      this.#cap,
      ...members,
    );
    return taken === 1;
  }

  async #park(job: Job, token: string, tenant: string, parkedBefore: number): Promise<number> {
    const rounds = 1 + Math.floor(parkedBefore / this.#cap);
    const until = Date.now() + Math.min(this.#parkMs * rounds, MAX_PARK_MS);
    await job.moveToDelayed(until, token);
    const next = (await this.#connection.eval(
      PARK_SCRIPT,
      3,
      tenantKeys.running(this.#queue, tenant),
      tenantKeys.parked(this.#queue, tenant),
      tenantKeys.parkedIndex(this.#queue),
      String(job.id),
      this.#cap,
      tenant,
      MAX_PARK_MS + 60_000,
    )) as string | null;
    await this.#promote(tenant, next);
    return until;
  }

  /**
   * Promotes a parked job to run now. One that is no longer delayed (it came back on its own
   * after a promoter died, or was cancelled) is skipped for the next.
   */
  async #promote(tenant: string, first: string | null): Promise<void> {
    let id = first;
    while (id) {
      const job = await Job.fromId(this.#queue, id);
      try {
        if (job && (await job.isDelayed())) {
          await job.promote();
          return;
        }
      } catch {
        // It left the delayed set in between: the next one takes the slot.
      }
      id = (await this.#connection.eval(
        POP_SCRIPT,
        2,
        tenantKeys.parked(this.#queue, tenant),
        tenantKeys.parkedIndex(this.#queue),
        tenant,
      )) as string | null;
    }
  }
}

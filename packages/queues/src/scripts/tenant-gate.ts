/*
 * The scripts of `TenantGate` (`../tenants/tenant-gate.ts`): every key they touch is in KEYS.
 */

/** A running slot left by a job whose worker vanished is dropped by then at the latest. */
export const RUNNING_TTL_MS = 24 * 60 * 60 * 1000;

const NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * A tenant's parked jobs are a ZSET (id -> when parked), so a job parked twice is listed once
 * and a job that came back on its own timer and ran is dropped in O(log n). Keeps the parked
 * index (tenant -> parked count) in step.
 */
const PARKED = `
local function countParked(parked, index, tenant)
  local left = redis.call('ZCARD', parked)
  if left > 0 then redis.call('ZADD', index, left, tenant) else redis.call('ZREM', index, tenant) end
end
local function popParked(parked, index, tenant)
  local first = redis.call('ZPOPMIN', parked)
  countParked(parked, index, tenant)
  return first[1] or false
end
`;

/**
 * KEYS: limited, rate, slot, running, parked, parked index. ARGV: jobId, cap, max, period, tenant.
 * Returns {code, until or parked count}: 0 admitted, 1 tenant paused, 2 over its rate (its slot
 * is reserved: it is delayed once, to it), 3 at its cap.
 *
 * The rate limit is a sliding log of the tenant's last `max` start slots (ZSET, score = slot):
 * slots are handed out in order, each at least `period` after the one `max` places before it,
 * so no window of `period` ms holds more than `max` starts, bursts included.
 */
export const ADMIT_SCRIPT = `${NOW}${PARKED}
local limitedKey, rateKey, slotKey, running, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local parkedIndex = KEYS[6]
local jobId, cap, max, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tenant = ARGV[5]
local limited = tonumber(redis.call('GET', limitedKey) or '0')
if limited > now then return {1, limited} end
local holds = cap > 0 and redis.call('ZSCORE', running, jobId)
if cap > 0 and not holds and redis.call('ZCARD', running) >= cap then
  return {3, redis.call('ZCARD', parked)}
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
  -- Back on its own timer (its promoter died, or it outlived its park): it is no longer parked.
  if redis.call('ZREM', parked, jobId) == 1 then countParked(parked, parkedIndex, tenant) end
end
return {0, 0}
`;

/**
 * KEYS: running, then the lock key of each member in ARGV[3..]. ARGV: jobId, cap, members...
 * Drops members whose BullMQ lock is gone (their worker died), then takes a slot if one is free.
 */
export const HEAL_SCRIPT = `${NOW}
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
export const PARK_SCRIPT = `${NOW}${PARKED}
local running, parked, index = KEYS[1], KEYS[2], KEYS[3]
local jobId, cap, tenant, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
redis.call('ZADD', parked, now, jobId)
redis.call('PEXPIRE', parked, ttl)
countParked(parked, index, tenant)
-- Outlives every parked list it counts; a tenant whose list expired is dropped when read.
redis.call('PEXPIRE', index, ttl)
if redis.call('ZCARD', running) < cap then return popParked(parked, index, tenant) end
return false
`;

/**
 * KEYS: running, parked, parked index, limited. ARGV: jobId, cap, tenant. Frees the job's slot
 * and returns the next parked job to promote, unless the tenant is paused: a promoted job would
 * only be put back until the pause ends (and promote the next, and so on), so parked jobs wait
 * for a slot freed after the pause, or their own timer.
 */
export const RELEASE_SCRIPT = `${NOW}${PARKED}
local running, parked, index, limited = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local jobId, cap, tenant = ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('ZREM', running, jobId)
if tonumber(redis.call('GET', limited) or '0') > now then return false end
if redis.call('ZCARD', running) < cap then return popParked(parked, index, tenant) end
return false
`;

/** KEYS: parked, parked index. ARGV: tenant. The next parked job, for a promotion that failed. */
export const POP_SCRIPT = `${PARKED}
return popParked(KEYS[1], KEYS[2], ARGV[1])
`;

/**
 * KEYS: limited, limited index. ARGV: ms, tenant. Pauses the tenant until now + ms, never
 * shortening a pause; the index (tenant -> until) lists paused tenants, past ones pruned here.
 */
export const LIMIT_SCRIPT = `${NOW}
local untilMs = now + tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= untilMs then return current end
redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]))
redis.call('ZADD', KEYS[2], untilMs, ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1])) end
return untilMs
`;

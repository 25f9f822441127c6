/** BullMQ's largest priority (2^21 - 1); turns past it are clamped to it (first in, first out). */
export const MAX_TURN = 2 ** 21 - 1;

/**
 * KEYS: BullMQ's prioritized set, `tenants`, `tenants:clock`, `tenants:lanes`, BullMQ's delayed
 * set and active list (read only when turns may restart). ARGV: tenant, priority, delayed (1/0)
 * per job. Returns each job's turn.
 *
 * Start-time fair queuing on BullMQ's own priorities. A job's BullMQ priority is its turn
 * (virtual time): BullMQ runs the lowest first, FIFO among equals. Each tenant with jobs waiting
 * has a next turn in the `tenants` ZSET; a job takes `max(next, floor)`, where `floor` is the
 * turn at the head of the prioritized set (what workers are taking now), and its tenant's next
 * turn becomes that plus one. A tenant with 50,000 jobs waiting holds turns floor..floor+50,000;
 * another tenant's new job takes `floor` and runs after at most one job of each tenant already
 * at that turn.
 *
 * - A job with a caller's priority `p`, or with a delay, takes its turn in one of its tenant's
 *   two side lanes (`tenants:lanes`, members `p:<tenant>` and `d:<tenant>`), which advance
 *   like the main one: `max(lane, floor) + p - 1`. A tenant's priority jobs thus run ahead of its
 *   own backlog (priorities order a tenant's jobs), and a flood of priority or delayed jobs gets
 *   one turn per round like any other, so neither lets one tenant jump the others' work; a
 *   tenant with all three lanes busy gets at most three jobs per round. A delayed job's turn
 *   is below the floor by the time it is due, so it runs when due, ahead of the backlog.
 * - A tenant whose next turn is at or below the floor has nothing waiting: it leaves the ZSET
 *   (so quiet tenants leave nothing behind), and `next - floor` is its backlog for
 *   {@link readTenants}.
 * - With nothing prioritized, turns resume from the last turn handed out (`tenants:clock`), and
 *   restart from 1 once that passed half of BullMQ's ceiling and no job that may come back with
 *   an old turn is left (none delayed, retrying, parked or running): such a job would otherwise
 *   wait behind every newer turn until the floor climbed back to its own. A queue that always
 *   holds one (a schedule's next run, a busy worker) restarts at three quarters of the ceiling
 *   all the same. The ceiling is reached only under a backlog that never empties for a million
 *   turns, where jobs then share the last turn (first in, first out) until the queue empties once.
 */
export const TURNS_SCRIPT = `
local prioritized, turns, clockKey, lanes = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local LIMIT, HALF, FORCE, LEVEL = ${MAX_TURN}, ${2 ** 20}, ${2 ** 20 + 2 ** 19}, 0x100000000
local clock = tonumber(redis.call('GET', clockKey) or '1')
local floor
local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
if head[1] then
  floor = math.floor(tonumber(head[2]) / LEVEL)
  redis.call('ZREMRANGEBYSCORE', turns, '-inf', floor)
  redis.call('ZREMRANGEBYSCORE', lanes, '-inf', floor)
else
  redis.call('UNLINK', turns, lanes)
  if clock >= FORCE or (clock >= HALF and redis.call('ZCARD', KEYS[5]) == 0
      and redis.call('LLEN', KEYS[6]) == 0) then
    clock = 1
  end
  floor = clock
end
local last = clock
local out = {}
for i = 1, #ARGV, 3 do
  local tenant, priority, delayed = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local turn
  if delayed or priority > 0 then
    local member = (delayed and 'd:' or 'p:') .. tenant
    local lane = math.max(tonumber(redis.call('ZSCORE', lanes, member) or floor), floor)
    redis.call('ZADD', lanes, lane + 1, member)
    turn = lane + math.max(priority, 1) - 1
  else
    local start = math.max(tonumber(redis.call('ZSCORE', turns, tenant) or floor), floor)
    redis.call('ZADD', turns, start + 1, tenant)
    turn = start
  end
  if turn > LIMIT then turn = LIMIT end
  if turn > last then last = turn end
  out[#out + 1] = turn
end
redis.call('SET', clockKey, last)
return out
`;

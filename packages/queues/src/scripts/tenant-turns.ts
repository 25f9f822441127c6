/** BullMQ's largest priority (2^21 - 1); turns past it are clamped to it (first in, first out). */
export const MAX_TURN = 2 ** 21 - 1;

/**
 * Start-time fair queuing on BullMQ's own priorities. A job's BullMQ priority is its turn
 * (virtual time): BullMQ runs the lowest first, FIFO among equals. Each tenant with jobs waiting
 * has a next turn in the `tenants` ZSET; a job takes `max(next, floor)`, where `floor` is the
 * turn at the head of the prioritized set (what workers are taking now), and its tenant's next
 * turn becomes that plus one. A tenant with 50,000 jobs waiting holds turns floor..floor+50,000;
 * another tenant's new job takes `floor` and runs after at most one job of each tenant already
 * at that turn.
 *
 * - A caller's priority `p` places the job `p - 1` turns after the floor, ahead of its tenant's
 *   own backlog, and still costs its tenant one turn: priorities order a tenant's jobs, and a
 *   tenant sending priority 1 goes before others' jobs that have none (BullMQ's meaning).
 * - A delayed job takes the floor of its enqueue: when due it runs ahead of the backlog.
 * - A tenant whose next turn is at or below the floor has nothing waiting: it leaves the ZSET
 *   (so quiet tenants leave nothing behind), and `next - floor` is its backlog for
 *   {@link readTenants}.
 * - With nothing prioritized, turns resume from the last turn handed out (`tenants:clock`), and
 *   restart from 1 once that passed half of BullMQ's ceiling: the ceiling is reached only under
 *   a backlog that never empties for a million turns, where jobs then share the last turn
 *   (first in, first out) until the queue empties once.
 */
export const TURNS_SCRIPT = `
local prioritized, turns, clockKey = KEYS[1], KEYS[2], KEYS[3]
local LIMIT, HALF, LEVEL = ${MAX_TURN}, ${2 ** 20}, 0x100000000
local clock = tonumber(redis.call('GET', clockKey) or '1')
local floor
local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
if head[1] then
  floor = math.floor(tonumber(head[2]) / LEVEL)
  redis.call('ZREMRANGEBYSCORE', turns, '-inf', floor)
else
  redis.call('UNLINK', turns)
  if clock >= HALF then clock = 1 end
  floor = clock
end
local last = clock
local out = {}
for i = 1, #ARGV, 3 do
  local tenant, priority, delayed = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local turn
  if delayed then
    turn = floor + math.max(priority, 1) - 1
  else
    local start = math.max(tonumber(redis.call('ZSCORE', turns, tenant) or floor), floor)
    redis.call('ZADD', turns, start + 1, tenant)
    turn = priority > 0 and floor + priority - 1 or start
  end
  if turn > LIMIT then turn = LIMIT end
  if turn > last then last = turn end
  out[#out + 1] = turn
end
redis.call('SET', clockKey, last)
return out
`;

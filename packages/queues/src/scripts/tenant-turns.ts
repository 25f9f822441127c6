/** BullMQ's largest priority (2^21 - 1); turns past it are clamped to it (first in, first out). */
export const MAX_TURN = 2 ** 21 - 1;

/**
 * Start-time fair queuing on BullMQ's own priorities, as Lua functions that a script includes.
 * A job's BullMQ priority is its turn (virtual time): BullMQ runs the lowest first, FIFO among
 * equals. Each tenant with jobs waiting has a next turn in the `tenants` ZSET; a job takes
 * `max(next, floor)`, where `floor` is the turn at the head of the prioritized set (what workers
 * are taking now), and its tenant's next turn becomes that plus one. A tenant with 50,000 jobs
 * waiting holds turns floor..floor+50,000; another tenant's new job takes `floor` and runs after
 * at most one job of each tenant already at that turn.
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
 *
 * Each tenant's (and lane's) next turn is read once per call (the main lane's of a whole batch
 * in one ZMSCORE: \`readTurns\`) and written once at the end, so a batch costs Redis calls per
 * tenant, not per job. `openTurns` only reads: the script decides
 * which write comes first (see `STORE_JOBS_SCRIPT`), and `closeTurns` writes.
 */
export const TURNS_LUA = `
local function openTurns(prioritized, turns, clockKey, lanes, delayed, active)
  local clock = tonumber(redis.call('GET', clockKey) or '1')
  local state = { turns = turns, lanes = lanes, clockKey = clockKey, next = {}, lane = {},
    stored = {} }
  local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
  if head[1] then
    state.floor = math.floor(tonumber(head[2]) / 0x100000000)
  else
    -- Nothing waits: every stored turn is stale (dropped by closeTurns).
    state.fresh = true
    if clock >= ${2 ** 20 + 2 ** 19} or (clock >= ${2 ** 20} and redis.call('ZCARD', delayed) == 0
        and redis.call('LLEN', active) == 0) then
      clock = 1
    end
    state.floor = clock
  end
  state.last = clock
  return state
end

-- Reads the stored next turns of \`tenants\` (distinct) in ZMSCORE calls of 2,000, for takeTurn:
-- a bulk naming 1,000 tenants then costs one read, not one ZSCORE per tenant.
local function readTurns(state, tenants)
  if state.fresh then return end
  for first = 1, #tenants, 2000 do
    local chunk = {}
    for i = first, math.min(first + 1999, #tenants) do chunk[#chunk + 1] = tenants[i] end
    local scores = redis.call('ZMSCORE', state.turns, unpack(chunk))
    for i = 1, #chunk do
      state.stored[chunk[i]] = scores[i] and tonumber(scores[i]) or false
    end
  end
end

local function takeTurn(state, tenant, priority, delayed)
  local floor, turn = state.floor
  if delayed or priority > 0 then
    local member = (delayed and 'd:' or 'p:') .. tenant
    local lane = state.lane[member]
    if lane == nil and not state.fresh then
      lane = tonumber(redis.call('ZSCORE', state.lanes, member))
    end
    lane = math.max(lane or floor, floor)
    state.lane[member] = lane + 1
    turn = lane + math.max(priority, 1) - 1
  else
    local start = state.next[tenant]
    if start == nil and not state.fresh then
      local stored = state.stored[tenant]
      if stored == nil then
        start = tonumber(redis.call('ZSCORE', state.turns, tenant))
      elseif stored then
        start = stored
      end
    end
    start = math.max(start or floor, floor)
    state.next[tenant] = start + 1
    turn = start
  end
  if turn > ${MAX_TURN} then turn = ${MAX_TURN} end
  if turn > state.last then state.last = turn end
  return turn
end

local function closeTurns(state)
  if state.fresh then
    redis.call('UNLINK', state.turns, state.lanes)
  else
    redis.call('ZREMRANGEBYSCORE', state.turns, '-inf', state.floor)
    redis.call('ZREMRANGEBYSCORE', state.lanes, '-inf', state.floor)
  end
  for _, pair in ipairs({ { state.turns, state.next }, { state.lanes, state.lane } }) do
    local members = {}
    for member, next in pairs(pair[2]) do
      members[#members + 1] = next
      members[#members + 1] = member
      if #members >= 2000 then
        redis.call('ZADD', pair[1], unpack(members))
        members = {}
      end
    end
    if #members > 0 then redis.call('ZADD', pair[1], unpack(members)) end
  end
  redis.call('SET', state.clockKey, state.last)
end
`;

/**
 * The turn of each job, in order (see {@link TURNS_LUA}).
 * KEYS: BullMQ's prioritized set, `tenants`, `tenants:clock`, `tenants:lanes`, BullMQ's delayed
 * set and active list (read only when turns may restart).
 * ARGV: per job: tenant, caller's priority (0 = none), 1 when delayed else 0.
 */
export const TURNS_SCRIPT = `${TURNS_LUA}
local state = openTurns(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
local out = {}
for i = 1, #ARGV, 3 do
  out[#out + 1] = takeTurn(state, ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1')
end
closeTurns(state)
return out
`;

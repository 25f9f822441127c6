import { SEARCH_SWEEP_LUA } from './search-index.js';
import { TURNS_LUA } from './tenant-turns.js';

/** Fixed KEYS of {@link STORE_JOBS_SCRIPT}, before the job keys. */
export const STORE_JOBS_FIXED_KEYS = 16;
/** ARGV of {@link STORE_JOBS_SCRIPT} per job, before its value prefixes. */
export const STORE_JOBS_ARGS_PER_JOB = 14;

/**
 * Stores prioritized jobs (no delay, no parent) as BullMQ 6's `addPrioritizedJob` stores each one, gives each its tenant's turn as its priority
 * ({@link TURNS_LUA}) and writes its search entries, all in one script: one call per bulk (or per
 * turn of the event loop of single enqueues) instead of a turns call, then one BullMQ script per
 * job, then an index call. What is per queue rather than per job (the id and priority counters,
 * the events cap, the paused check, the marker, the turns of a tenant, the search log, entries
 * and values set) is read or written once per call.
 *
 * What BullMQ's script does per job and this one does too: the job hash (`name`, `data`, `opts`
 * with `priority`, `timestamp`, `delay`, `priority`), the `added` and `waiting` events in that
 * order, the prioritized entry scored `priority * 2^32 + counter`, the queue's marker unless it
 * is paused or at its concurrency; deduplication with a TTL (`{ id, ttl }`): `SET NX PX` of the key,
 * and when it is held, the `deduplicated` event and the held id instead of a new job (no turn,
 * no search entry). With a dedupe marker (`DedupeMarkers`), what the re-arm script and the
 * marker write did around BullMQ's add, in the same call: before the check, BullMQ's key is set
 * again from the marker when retention removed it; after it, the marker is written (`SET NX`,
 * the deduplication TTL) with the job's id, or the held one. Not done: BullMQ's check that the
 * job id is free (ids are fresh UUIDs, `j-<uuid>`), and its recovery of a deduplication key
 * without a TTL (Conveyor sets every one with a TTL, the re-arm script too).
 *
 * Left out on purpose: the hash's `deid` field. With it BullMQ checks the deduplication key
 * when the job finishes (`PTTL`) and deletes it when retention removes the job, ending the
 * window early (what the dedupe markers re-arm); without it the key lives its TTL, the window
 * Conveyor means, and a worked job costs Redis 20,000 fewer instructions (of about 590,000).
 *
 * All or nothing, for what refuses a script at runtime:
 * - out of memory: the first write is `INCRBY` of the id counter, a command Redis refuses at
 *   maxmemory; a script whose first write was refused wrote nothing, and one whose first write
 *   passed writes everything (Redis takes the out-of-memory verdict once, before the script,
 *   with the call's own arguments counted);
 * - the sweep's reads (the only step whose size the caller does not set) run before that first
 *   write, and every list of variable length is sent to Redis in chunks of 2,000 values
 *   (`callChunked`), below what Lua's `unpack` takes.
 * Not covered: a key of the wrong type (a queue's keys written by something else), which fails
 * the command that meets it after earlier writes stay, and Redis stopping mid-script. A call's
 * size is the caller's to bound (`JobStore` sends at most a bulk of the API's size, or
 * `MAX_JOBS_PER_CALL` single jobs).
 *
 * KEYS: meta, id, prioritized, events, pc, marker, active, tenants, tenants:clock,
 * tenants:lanes, search log, search entries, search cursor, delayed, search values, search head
 * floor; then each job's hash; then the other keys (distinct deduplication keys and dedupe markers).
 * ARGV: job count, search ttl ms, sweep window, head window, the score below which a swept entry
 * may be dropped; then per job: id, name, data
 * JSON, opts JSON without `priority`, timestamp, tenant, caller's priority (0 = none), search
 * score, search keys JSON, deduplication id ('' = none), its TTL ms, the index (1-based) of its
 * key among the other keys, the index of its dedupe marker among them (0 = none), value count, then
 * that many value prefixes (`searchValuePrefix`; the search score is written as
 * `searchScoreText`).
 * Returns { the id of each job (the held one when deduplicated), the sweep's entries
 * (`writeSweep`) }.
 */
export const STORE_JOBS_SCRIPT = `${TURNS_LUA}${SEARCH_SWEEP_LUA}
local rcall = redis.call
local meta, prioritized, events, marker = KEYS[1], KEYS[3], KEYS[4], KEYS[6]
local count = tonumber(ARGV[1])
local ttl, window, head, before = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local firstValue = ${STORE_JOBS_FIXED_KEYS} + count

-- Reads that can fail at runtime come before the first write (see All or nothing).
local sweep = readSweep(KEYS[11], KEYS[12], KEYS[13], KEYS[16], window, head, before)
rcall('INCRBY', KEYS[2], count)
local maxEvents = rcall('HGET', meta, 'opts.maxLenEvents')
if not maxEvents then
  maxEvents = 10000
  rcall('HSET', meta, 'opts.maxLenEvents', maxEvents)
end
local paused = false
local queueAttributes = rcall('HMGET', meta, 'paused', 'concurrency')
if queueAttributes[1] then
  paused = true
elseif queueAttributes[2] then
  paused = rcall('LLEN', KEYS[7]) >= tonumber(queueAttributes[2])
end
local counter = rcall('INCRBY', KEYS[5], count) - count
local turns = openTurns(prioritized, KEYS[8], KEYS[9], KEYS[10], KEYS[14], KEYS[7])
do
  -- The tenants of the jobs without a caller's priority, read in one go (see readTurns).
  local tenants, seen, at = {}, {}, 6
  for _ = 1, count do
    local tenant = ARGV[at + 5]
    if ARGV[at + 6] == '0' and not seen[tenant] then
      seen[tenant] = true
      tenants[#tenants + 1] = tenant
    end
    at = at + ${STORE_JOBS_ARGS_PER_JOB} + tonumber(ARGV[at + 13])
  end
  readTurns(turns, tenants)
end

local ranked, logged, described, values, ids = {}, {}, {}, {}, {}
local a = 6
for j = 1, count do
  local id, name, opts = ARGV[a], ARGV[a + 1], ARGV[a + 3]
  local score, n = ARGV[a + 7], tonumber(ARGV[a + 13])
  local deduplicationId = ARGV[a + 9]
  local held
  if deduplicationId ~= '' then
    local deduplicationKey = KEYS[firstValue + tonumber(ARGV[a + 11])]
    local markerIndex = tonumber(ARGV[a + 12])
    local markerKey = markerIndex > 0 and KEYS[firstValue + markerIndex]
    if markerKey and rcall('EXISTS', deduplicationKey) == 0 then
      local remembered = rcall('GET', markerKey)
      local left = remembered and rcall('PTTL', markerKey) or 0
      if left > 0 then rcall('SET', deduplicationKey, remembered, 'PX', left) end
    end
    if not rcall('SET', deduplicationKey, id, 'PX', ARGV[a + 10], 'NX') then
      held = rcall('GET', deduplicationKey)
      rcall('XADD', events, 'MAXLEN', '~', maxEvents, '*', 'event', 'deduplicated', 'jobId', held,
        'deduplicationId', deduplicationId, 'deduplicatedJobId', id)
    end
    if markerKey then rcall('SET', markerKey, held or id, 'PX', ARGV[a + 10], 'NX') end
  end
  if held then
    ids[j] = held
  else
    ids[j] = id
    local turn = takeTurn(turns, ARGV[a + 5], tonumber(ARGV[a + 6]), false)
    -- Numbers formatted once: Redis prints every number passed to redis.call with snprintf.
    local priority = tostring(turn)
    if opts == '{}' then
      opts = '{"priority":' .. priority .. '}'
    else
      opts = '{"priority":' .. priority .. ',' .. string.sub(opts, 2)
    end
    rcall('HMSET', KEYS[${STORE_JOBS_FIXED_KEYS} + j], 'name', name, 'data', ARGV[a + 2], 'opts', opts,
      'timestamp', ARGV[a + 4], 'delay', '0', 'priority', priority)
    rcall('XADD', events, '*', 'event', 'added', 'jobId', id, 'name', name)
    ranked[#ranked + 1] = turn * 0x100000000 + (counter + j) % 0x100000000
    ranked[#ranked + 1] = id
    rcall('XADD', events, 'MAXLEN', '~', maxEvents, '*', 'event', 'waiting', 'jobId', id)
    logged[#logged + 1] = score
    logged[#logged + 1] = id
    described[#described + 1] = id
    described[#described + 1] = ARGV[a + 8]
    valueEntries(values, ARGV, a + ${STORE_JOBS_ARGS_PER_JOB}, n, score, id)
  end
  a = a + ${STORE_JOBS_ARGS_PER_JOB} + n
end
closeTurns(turns)
callChunked('ZADD', prioritized, ranked)
if #ranked > 0 and not paused then rcall('ZADD', marker, '0', '0') end
if #logged > 0 then
  callChunked('ZADD', KEYS[11], logged)
  callChunked('HSET', KEYS[12], described)
  callChunked('ZADD', KEYS[15], values)
end
return { ids, writeSweep(KEYS[11], KEYS[12], KEYS[13], KEYS[15], KEYS[16], ttl, sweep) }
`;

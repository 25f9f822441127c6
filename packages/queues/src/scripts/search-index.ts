/**
 * Lua functions the index scripts include:
 * - `callChunked(command, key, list)`: `command key ...list` in calls of at most 2,000 values
 *   (Lua's `unpack` fails past about 8,000);
 * - `readSweep(log, entries, cursor, window, before)`: reads, without writing, the next `window`
 *   entries of the log from the sweep's cursor and returns `{ entries, next cursor }`, the
 *   entries being those scored below `before` (all when nil) as id, score, keys JSON triples
 *   (entries too young to drop are passed over without being read); nil when `window` is 0;
 * - `writeSweep(log, entries, cursor, ttl, read)`: gives the log, entries and cursor their life
 *   of `ttl` again and moves the cursor as `read` (from `readSweep`) says (wrapping at the end);
 *   returns its entries (nothing when `read` is nil);
 * - `sweepLog(log, entries, cursor, ttl, window, before)`: both at once.
 */
export const SEARCH_SWEEP_LUA = `
local function callChunked(command, key, list)
  local results = {}
  for i = 1, #list, 2000 do
    local reply = redis.call(command, key, unpack(list, i, math.min(i + 1999, #list)))
    if type(reply) == 'table' then
      for _, value in ipairs(reply) do results[#results + 1] = value end
    end
  end
  return results
end

local function readSweep(log, entries, cursor, window, before)
  if window <= 0 then return nil end
  local from = tonumber(redis.call('GET', cursor) or '0')
  local found = redis.call('ZRANGE', log, from, from + window - 1, 'WITHSCORES')
  local count = #found / 2
  if count < window then from = 0 else from = from + count end
  local ids, scores = {}, {}
  for i = 1, count do
    local score = found[2 * i]
    if before == nil or tonumber(score) < before then
      ids[#ids + 1] = found[2 * i - 1]
      scores[#scores + 1] = score
    end
  end
  local out = {}
  if #ids > 0 then
    local keys = {}
    for i = 1, #ids, 2000 do
      local part = redis.call('HMGET', entries, unpack(ids, i, math.min(i + 1999, #ids)))
      for k = 1, #part do keys[i + k - 1] = part[k] end
    end
    for i = 1, #ids do
      out[#out + 1] = ids[i]
      out[#out + 1] = scores[i]
      out[#out + 1] = keys[i] or ''
    end
  end
  return { out, from }
end

local function writeSweep(log, entries, cursor, ttl, read)
  if read == nil then return {} end
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', entries, ttl)
  redis.call('SET', cursor, read[2], 'PX', ttl)
  return read[1]
end

local function sweepLog(log, entries, cursor, ttl, window, before)
  return writeSweep(log, entries, cursor, ttl, readSweep(log, entries, cursor, window, before))
end
`;

/**
 * KEYS: log, entries, cursor, then per job: its BullMQ hash and its value keys.
 * ARGV: ttl ms, sweep window, job count, 1 to index only jobs that exist (after their `add`, in
 * its transaction: an `add` that deduplicated stored nothing under its own id) or 0 (sent beside
 * the `adds`, possibly just before them), then per job: id, score, keys JSON, value key count.
 * Value keys live `ttl` after their last write; the log, entries and cursor are given the same
 * life on each sweep window (the first index call of every process asks for one). Returns
 * {@link SEARCH_SWEEP_LUA}'s entries.
 */
export const SEARCH_INDEX_SCRIPT = `${SEARCH_SWEEP_LUA}
local ttl = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local checked = ARGV[4] == '1'
local k, a = 4, 5
local logged, described = {}, {}
for j = 1, count do
  local id, score, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 3])
  if not checked or redis.call('EXISTS', KEYS[k]) == 1 then
    logged[#logged + 1] = score
    logged[#logged + 1] = id
    described[#described + 1] = id
    described[#described + 1] = ARGV[a + 2]
    for i = k + 1, k + n do
      redis.call('ZADD', KEYS[i], score, id)
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
  a = a + 4
  k = k + 1 + n
end
if #logged > 0 then
  callChunked('ZADD', KEYS[1], logged)
  callChunked('HSET', KEYS[2], described)
end
return sweepLog(KEYS[1], KEYS[2], KEYS[3], ttl, window)
`;

/**
 * KEYS: log, entries, cursor, then per candidate: its BullMQ hash and its value keys.
 * ARGV: candidate count, then per candidate: id, value key count.
 * Drops every candidate whose job is gone (retention removed it) from its value keys, the log and
 * the entries, and moves the cursor back by as many (they sat before it). Returns how many.
 * The removals are grouped per key (one `ZREM` per value key, one for the log, one `HDEL`), so a
 * value shared by many candidates (a tenant, an org) costs one command, not one per candidate.
 */
export const SEARCH_PRUNE_SCRIPT = `
local count = tonumber(ARGV[1])
local k, a = 4, 2
local gone, byKey, order = {}, {}, {}
for j = 1, count do
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  if redis.call('EXISTS', KEYS[k]) == 0 then
    gone[#gone + 1] = id
    for i = k + 1, k + n do
      local key = KEYS[i]
      local ids = byKey[key]
      if ids == nil then
        ids = {}
        byKey[key] = ids
        order[#order + 1] = key
      end
      ids[#ids + 1] = id
    end
  end
  a = a + 2
  k = k + 1 + n
end
local removed = 0
if #gone > 0 then
  for _, key in ipairs(order) do
    local ids = byKey[key]
    for i = 1, #ids, 2000 do
      redis.call('ZREM', key, unpack(ids, i, math.min(i + 1999, #ids)))
    end
  end
  for i = 1, #gone, 2000 do
    local last = math.min(i + 1999, #gone)
    removed = removed + redis.call('ZREM', KEYS[1], unpack(gone, i, last))
    redis.call('HDEL', KEYS[2], unpack(gone, i, last))
  end
end
if removed > 0 then
  local from = tonumber(redis.call('GET', KEYS[3]) or '0')
  local ttl = redis.call('PTTL', KEYS[3])
  if from > 0 and ttl > 0 then
    redis.call('SET', KEYS[3], math.max(0, from - removed), 'PX', ttl)
  end
end
return removed
`;

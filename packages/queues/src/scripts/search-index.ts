import { SEARCH_SCORE_DIGITS } from '../redis-keys.js';

/**
 * Lua functions the index scripts include:
 * - `callChunked(command, key, list)`: `command key ...list` in calls of at most 2,000 values
 *   (Lua's `unpack` fails past about 8,000);
 * - `readSweep(log, entries, cursor, floor, window, head, before)`: reads, without writing, the
 *   next `window` entries of the log from the sweep's cursor, and the first `head` entries after
 *   the head sweep's floor (a score; the log's start when unset), and returns
 *   `{ cursor entries, next cursor, head entries, wrapped }`, the entries being those scored
 *   below `before` (a score's text) as id, keys JSON pairs (entries too young to drop are passed
 *   over without being read); nil when `window` is 0. Scores are counted (`ZCOUNT`), not read:
 *   Redis prints every score it answers with snprintf, three per job enqueued;
 * - `writeSweep(log, entries, cursor, values, floor, ttl, read)`: gives the log, entries, cursor
 *   and values set their life of `ttl` again, moves the cursor as `read` (from `readSweep`) says
 *   (wrapping at the end) and clears the head sweep's floor when the cursor wrapped; returns
 *   `{ cursor entries, head entries }` (nothing when `read` is nil);
 * - `sweepLog(log, entries, cursor, values, floor, ttl, window, head, before)`: both at once;
 * - `valueEntries(out, prefixes, from, count, score, id)`: appends to `out`, as `ZADD` arguments
 *   (score 0), the value entries of job `id` at `score` (its text, zero-padded) under the
 *   `count` prefixes found in `prefixes` from `from` on (`searchValueEntry`).
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

local function keysOf(entries, ids)
  local out = {}
  if #ids == 0 then return out end
  local keys = {}
  for i = 1, #ids, 2000 do
    local part = redis.call('HMGET', entries, unpack(ids, i, math.min(i + 1999, #ids)))
    for k = 1, #part do keys[i + k - 1] = part[k] end
  end
  for i = 1, #ids do
    out[#out + 1] = ids[i]
    out[#out + 1] = keys[i] or ''
  end
  return out
end

local function readSweep(log, entries, cursor, floor, window, head, before)
  if window <= 0 then return nil end
  local from = tonumber(redis.call('GET', cursor) or '0')
  local found = redis.call('ZRANGE', log, from, from + window - 1)
  local count = #found
  -- The log is in score order: the entries below \`before\` are its first \`old\`.
  local old = redis.call('ZCOUNT', log, '-inf', '(' .. before)
  local ids = {}
  for i = 1, math.min(count, old - from) do ids[i] = found[i] end
  local wrapped = count < window
  if wrapped then from = 0 else from = from + count end
  local atHead = {}
  if head > 0 then
    local after = redis.call('GET', floor)
    atHead = redis.call('ZRANGEBYSCORE', log, after and ('(' .. after) or '-inf', '(' .. before,
      'LIMIT', 0, head)
  end
  return { keysOf(entries, ids), from, keysOf(entries, atHead), wrapped }
end

local function writeSweep(log, entries, cursor, values, floor, ttl, read)
  if read == nil then return {} end
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', entries, ttl)
  redis.call('PEXPIRE', values, ttl)
  redis.call('SET', cursor, read[2], 'PX', ttl)
  if read[4] then redis.call('DEL', floor) end
  return { read[1], read[3] }
end

local function sweepLog(log, entries, cursor, values, floor, ttl, window, head, before)
  local read = readSweep(log, entries, cursor, floor, window, head, before)
  return writeSweep(log, entries, cursor, values, floor, ttl, read)
end

local function valueEntries(out, prefixes, from, count, score, id)
  for i = from, from + count - 1 do
    out[#out + 1] = '0'
    out[#out + 1] = prefixes[i] .. score .. id
  end
end
`;

/**
 * KEYS: log, entries, cursor, values set, head floor, then each job's BullMQ hash.
 * ARGV: ttl ms, sweep window, head window, the score below which a swept entry may be dropped,
 * job count, 1 to index only jobs that exist (after their `add`, in
 * its transaction: an `add` that deduplicated stored nothing under its own id) or 0 (sent beside
 * the `adds`, possibly just before them), then per job: id, score (`searchScoreText`), keys JSON,
 * value count, then that many value prefixes (`searchValuePrefix`).
 * The log, entries, cursor and values set are given a life of `ttl` on each sweep window (the
 * first index call of every process asks for one). Returns {@link SEARCH_SWEEP_LUA}'s entries.
 */
export const SEARCH_INDEX_SCRIPT = `${SEARCH_SWEEP_LUA}
local ttl = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local head = tonumber(ARGV[3])
local count = tonumber(ARGV[5])
local checked = ARGV[6] == '1'
local a = 7
local logged, described, values = {}, {}, {}
for j = 1, count do
  local id, score, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 3])
  if not checked or redis.call('EXISTS', KEYS[5 + j]) == 1 then
    logged[#logged + 1] = score
    logged[#logged + 1] = id
    described[#described + 1] = id
    described[#described + 1] = ARGV[a + 2]
    valueEntries(values, ARGV, a + 4, n, score, id)
  end
  a = a + 4 + n
end
if #logged > 0 then
  callChunked('ZADD', KEYS[1], logged)
  callChunked('HSET', KEYS[2], described)
  callChunked('ZADD', KEYS[4], values)
end
return sweepLog(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ttl, window, head, ARGV[4])
`;

/**
 * KEYS: log, entries, cursor, values set, head floor, then each candidate's BullMQ hash.
 * ARGV: candidate count, 1 when the candidates are the head sweep's (in log order) or 0, the
 * score below which a live entry counts as long-lived, then per candidate: id, value count, then
 * that many value prefixes.
 * Drops every candidate whose job is gone (retention removed it) from the values set, the log
 * and the entries, and moves the cursor back by as many (they sat before it). Returns how many.
 * A candidate's value entries are rebuilt from its score in the log (none left when an earlier
 * prune took it). The removals are grouped: one `ZREM` per key per 2,000 values.
 * The head sweep's candidates also move its floor past the long-lived entries they start with
 * (gone ones aside), up to the first live one that is not: jobs that live on at the log's head
 * (delayed for a day, say) are not read again until the cursor wraps.
 */
export const SEARCH_PRUNE_SCRIPT = `
local count = tonumber(ARGV[1])
local atHead = ARGV[2] == '1'
local longLived = tonumber(ARGV[3])
local a = 4
local gone, members = {}, {}
local floor
for j = 1, count do
  local id, n = ARGV[a], tonumber(ARGV[a + 1])
  if redis.call('EXISTS', KEYS[5 + j]) == 0 then
    local score = redis.call('ZSCORE', KEYS[1], id)
    if score then
      gone[#gone + 1] = id
      score = string.rep('0', ${SEARCH_SCORE_DIGITS} - #score) .. score
      for i = a + 2, a + 1 + n do members[#members + 1] = ARGV[i] .. score .. id end
    end
  elseif atHead then
    local score = redis.call('ZSCORE', KEYS[1], id)
    if score and tonumber(score) < longLived then floor = score else atHead = false end
  end
  a = a + 2 + n
end
local removed = 0
for i = 1, #members, 2000 do
  redis.call('ZREM', KEYS[4], unpack(members, i, math.min(i + 1999, #members)))
end
for i = 1, #gone, 2000 do
  local last = math.min(i + 1999, #gone)
  removed = removed + redis.call('ZREM', KEYS[1], unpack(gone, i, last))
  redis.call('HDEL', KEYS[2], unpack(gone, i, last))
end
local ttl = redis.call('PTTL', KEYS[3])
if removed > 0 then
  local from = tonumber(redis.call('GET', KEYS[3]) or '0')
  if from > 0 and ttl > 0 then
    redis.call('SET', KEYS[3], math.max(0, from - removed), 'PX', ttl)
  end
end
if floor and ttl > 0 then redis.call('SET', KEYS[5], floor, 'PX', ttl) end
return removed
`;

/** Values {@link SEARCH_READ_SCRIPT} answers per candidate. */
export const SEARCH_READ_STRIDE = 8;

/** Keys {@link SEARCH_READ_SCRIPT} takes per source, then per candidate. */
const SOURCE_KEYS = 6;
const CANDIDATE_KEYS = 3;

/**
 * Reads every candidate of a search page in one call (one round trip, one reply, whatever the
 * number of candidates and sources).
 *
 * KEYS: per source (a queue or dead-letter queue), its completed, failed, delayed, prioritized
 * and waiting-children sets and its search entries hash; then per candidate, its job hash, its
 * lock and its ending record.
 * ARGV: the source count, then per candidate: its source's place (1-based), its id, the extra
 * field of its hash to read.
 * Returns one JSON array (`cjson`), {@link SEARCH_READ_STRIDE} values per candidate: state (false
 * for no job), name, timestamp, finishedOn, failedReason, the extra field, the ending record (when
 * failed), the keys it was indexed under (JSON; read also for a job that is gone, so its entries
 * can go). One bulk string, not an array of 8 per candidate: the API parses one reply element
 * instead of 80 for a page of 10 (each a Buffer, then a string): 107 -> 104 KB per search.
 * The state is read from the sorted sets and the lock, never by scanning the wait or active
 * lists, so it costs the same whatever the backlog (a job in no set and without a lock is
 * waiting; a stalled job reads as waiting until BullMQ moves it back there).
 */
export const SEARCH_READ_SCRIPT = `
local sources = tonumber(ARGV[1])
local out = {}
local k = sources * ${SOURCE_KEYS}
for a = 2, #ARGV, 3 do
  local s = (tonumber(ARGV[a]) - 1) * ${SOURCE_KEYS}
  local id = ARGV[a + 1]
  local entry = redis.call('HGET', KEYS[s + 6], id)
  if redis.call('TYPE', KEYS[k + 1]).ok ~= 'hash' then
    for i = 1, 7 do out[#out + 1] = false end
  else
    local f = redis.call('HMGET', KEYS[k + 1], 'name', 'timestamp', 'finishedOn', 'failedReason', ARGV[a + 2])
    local state = 'waiting'
    if redis.call('ZSCORE', KEYS[s + 1], id) then state = 'completed'
    elseif redis.call('ZSCORE', KEYS[s + 2], id) then state = 'failed'
    elseif redis.call('ZSCORE', KEYS[s + 3], id) then state = 'delayed'
    elseif redis.call('ZSCORE', KEYS[s + 4], id) then state = 'prioritized'
    elseif redis.call('ZSCORE', KEYS[s + 5], id) then state = 'waiting-children'
    elseif redis.call('EXISTS', KEYS[k + 2]) == 1 then state = 'active'
    end
    local ending = false
    if state == 'failed' then ending = redis.call('GET', KEYS[k + 3]) end
    out[#out + 1] = state
    for i = 1, 5 do out[#out + 1] = f[i] end
    out[#out + 1] = ending
  end
  out[#out + 1] = entry
  k = k + ${CANDIDATE_KEYS}
end
return cjson.encode(out)
`;

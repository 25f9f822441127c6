/**
 * KEYS: the job's hash, its lock, then the queue's completed, failed, delayed, prioritized and
 * waiting-children sets, and its ending record. ARGV: the job id, the extra field to read.
 * Returns false for no job, else { state, name, timestamp, finishedOn, failedReason, extra,
 * ending record }. The state is read from the sorted sets and the lock, never by scanning the
 * wait or active lists, so it costs the same whatever the backlog (a job in no set and without a
 * lock is waiting; a stalled job reads as waiting until BullMQ moves it back there).
 */
export const SEARCH_READ_SCRIPT = `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local f = redis.call('HMGET', KEYS[1], 'name', 'timestamp', 'finishedOn', 'failedReason', ARGV[2])
local state = 'waiting'
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then state = 'completed'
elseif redis.call('ZSCORE', KEYS[4], ARGV[1]) then state = 'failed'
elseif redis.call('ZSCORE', KEYS[5], ARGV[1]) then state = 'delayed'
elseif redis.call('ZSCORE', KEYS[6], ARGV[1]) then state = 'prioritized'
elseif redis.call('ZSCORE', KEYS[7], ARGV[1]) then state = 'waiting-children'
elseif redis.call('EXISTS', KEYS[2]) == 1 then state = 'active'
end
local ending = false
if state == 'failed' then ending = redis.call('GET', KEYS[8]) end
return { state, f[1], f[2], f[3], f[4], f[5], ending }
`;

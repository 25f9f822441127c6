/** Entries sampled per reservation to forget jobs that started or are gone. */
export const QUOTA_SAMPLE = 64;
/** A reserved entry whose job does not exist yet is kept this long (its `add` is under way). */
export const QUOTA_PENDING_GRACE_MS = 60_000;

/**
 * KEYS[1] the client's set (member `queue|id|reservedAt`, score bytes), KEYS[2] its byte total.
 * ARGV: prefix, now, maxJobs (-1 none), maxBytes (-1 none), ttl, then member, bytes pairs.
 * First forgets a sample of entries whose job a worker took (`processedOn` set) or that no
 * longer exists, then admits all the new entries or none. Returns { 'ok' } or { which, current }.
 */
export const RESERVE_QUOTA_SCRIPT = `
local prefix, now = ARGV[1], tonumber(ARGV[2])
local maxJobs, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[4])
local sample = redis.call('ZRANDMEMBER', KEYS[1], ${QUOTA_SAMPLE}, 'WITHSCORES')
for i = 1, #sample, 2 do
  local member = sample[i]
  local queue, id, at = string.match(member, '^(.-)|(.*)|(%d+)$')
  local gone = true
  if queue then
    local key = prefix .. ':' .. queue .. ':' .. id
    if redis.call('EXISTS', key) == 1 then
      gone = redis.call('HEXISTS', key, 'processedOn') == 1
    else
      gone = now - tonumber(at) > ${QUOTA_PENDING_GRACE_MS}
    end
  end
  if gone and redis.call('ZREM', KEYS[1], member) == 1 then
    redis.call('DECRBY', KEYS[2], sample[i + 1])
  end
end
local jobs = redis.call('ZCARD', KEYS[1])
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
local addJobs, addBytes = 0, 0
for i = 6, #ARGV, 2 do
  addJobs = addJobs + 1
  addBytes = addBytes + tonumber(ARGV[i + 1])
end
if maxJobs >= 0 and jobs + addJobs > maxJobs then return { 'jobs', jobs } end
if maxBytes >= 0 and bytes + addBytes > maxBytes then return { 'bytes', bytes } end
for i = 6, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) end
redis.call('INCRBY', KEYS[2], addBytes)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return { 'ok', 0 }
`;

/** KEYS as above; ARGV member, bytes pairs: un-counts entries whose jobs were not stored. */
export const RELEASE_QUOTA_SCRIPT = `
for i = 1, #ARGV, 2 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[i + 1]) end
end
return 0
`;

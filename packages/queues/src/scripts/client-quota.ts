/** Entries sampled per reservation to forget jobs that started or are gone. */
export const QUOTA_SAMPLE = 64;
/** A reserved entry whose job does not exist yet is kept this long (its `add` is under way). */
export const QUOTA_PENDING_GRACE_MS = 60_000;

/**
 * KEYS[1] the client's set (member `queue|id|reservedAt`, score bytes), KEYS[2] its byte total,
 * then the job key of each sampled entry to check. ARGV: now, maxJobs (-1 none), maxBytes (-1
 * none), ttl, the number of sampled entries n, those n members (in the order of their job keys),
 * the number of sampled members m that name no job, those m members, then member, bytes pairs to
 * admit. First forgets the sampled entries whose job a worker took (`processedOn` set) or that
 * no longer exists, then admits all the new entries or none. Every key it touches is in KEYS:
 * the sample is drawn by the previous call and returned for the next one.
 * Returns { 'ok' | 'jobs' | 'bytes', current, next sample... }.
 */
export const RESERVE_QUOTA_SCRIPT = `
local set, total = KEYS[1], KEYS[2]
local now, maxJobs, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function forget(member)
  local bytes = redis.call('ZSCORE', set, member)
  if bytes and redis.call('ZREM', set, member) == 1 then redis.call('DECRBY', total, bytes) end
end
local checked = tonumber(ARGV[5])
for i = 1, checked do
  local member, job = ARGV[5 + i], KEYS[2 + i]
  local gone
  if redis.call('EXISTS', job) == 1 then
    gone = redis.call('HEXISTS', job, 'processedOn') == 1
  else
    gone = now - tonumber(string.match(member, '|(%d+)$')) > ${QUOTA_PENDING_GRACE_MS}
  end
  if gone then forget(member) end
end
local base = 6 + checked
local malformed = tonumber(ARGV[base])
for i = 1, malformed do forget(ARGV[base + i]) end
local first = base + malformed + 1
local jobs = redis.call('ZCARD', set)
local bytes = tonumber(redis.call('GET', total) or '0')
local addJobs, addBytes = 0, 0
for i = first, #ARGV, 2 do
  addJobs = addJobs + 1
  addBytes = addBytes + tonumber(ARGV[i + 1])
end
local verdict, current = 'ok', 0
if maxJobs >= 0 and jobs + addJobs > maxJobs then
  verdict, current = 'jobs', jobs
elseif maxBytes >= 0 and bytes + addBytes > maxBytes then
  verdict, current = 'bytes', bytes
else
  for i = first, #ARGV, 2 do redis.call('ZADD', set, ARGV[i + 1], ARGV[i]) end
  redis.call('INCRBY', total, addBytes)
  redis.call('PEXPIRE', set, ARGV[4])
  redis.call('PEXPIRE', total, ARGV[4])
end
local answer = { verdict, current }
for _, member in ipairs(redis.call('ZRANDMEMBER', set, ${QUOTA_SAMPLE})) do
  answer[#answer + 1] = member
end
return answer
`;

/** KEYS as above; ARGV member, bytes pairs: un-counts entries whose jobs were not stored. */
export const RELEASE_QUOTA_SCRIPT = `
for i = 1, #ARGV, 2 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[i + 1]) end
end
return 0
`;

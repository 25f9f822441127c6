/**
 * Priority levels whose oldest job the script reads. Past that many distinct priorities waiting
 * at once, the jobs of the lower ones (higher numbers) are left out of the oldest age only.
 */
export const MAX_PRIORITY_LEVELS = 128;

/**
 * One round trip, on Redis's clock. BullMQ keeps the order FIFO in `wait` (next job at the
 * tail), due time in `delayed` (score = ms * 0x1000 + a counter), and in `prioritized`
 * priority * 2^32 + an insertion counter: the oldest of one priority level is at its head, so
 * the script reads the head of each level present (one ZRANGEBYSCORE per level, up to
 * MAX_PRIORITY_LEVELS), not only the head of the set.
 */
export const BACKLOG_SCRIPT = `
local wait, prioritized, delayed, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local jobPrefix, maxLevels = ARGV[1], tonumber(ARGV[2])
local LEVEL = 0x100000000
if redis.call('HEXISTS', meta, 'paused') == 1 then return {0, 0, 1} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local waiting = redis.call('LLEN', wait)
local ranked = redis.call('ZCARD', prioritized)
local due = redis.call('ZCOUNT', delayed, 0, (now + 1) * 0x1000 - 1)
local oldest = now
local function enqueuedAt(id)
  local timestamp = id and tonumber(redis.call('HGET', jobPrefix .. id, 'timestamp'))
  if timestamp and timestamp < oldest then oldest = timestamp end
end
if waiting > 0 then enqueuedAt(redis.call('LINDEX', wait, -1)) end
if ranked > 0 then
  local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
  local levels = 0
  while head[1] and levels < maxLevels do
    enqueuedAt(head[1])
    levels = levels + 1
    local nextLevel = (math.floor(tonumber(head[2]) / LEVEL) + 1) * LEVEL
    head = redis.call('ZRANGEBYSCORE', prioritized, nextLevel, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  end
end
if due > 0 then
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  local dueAt = math.floor(tonumber(first[2]) / 0x1000)
  if dueAt < oldest then oldest = dueAt end
end
return {waiting + ranked + due, now - oldest, 0}
`;

/**
 * Priority levels whose oldest job the script reads. Past that many distinct priorities waiting
 * at once, the jobs of the lower ones (higher numbers) are left out of the oldest age only.
 */
export const MAX_PRIORITY_LEVELS = 128;

/**
 * On Redis's clock. BullMQ keeps the order FIFO in `wait` (next job at the tail), due time in
 * `delayed` (score = ms * 0x1000 + a counter), and in `prioritized` priority * 2^32 + an
 * insertion counter: the oldest of one priority level is at its head, so the script finds the
 * head of each level present (one ZRANGEBYSCORE per level, up to MAX_PRIORITY_LEVELS), not only
 * the head of the set. It reads only the keys it is given: the candidates' enqueue times are
 * read after it, with their job keys named (see {@link readQueueBacklog}).
 * Returns {backlog, now, oldest due time or -1, paused, candidate ids...}.
 */
export const BACKLOG_SCRIPT = `
local wait, prioritized, delayed, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local maxLevels = tonumber(ARGV[1])
local LEVEL = 0x100000000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('HEXISTS', meta, 'paused') == 1 then return {0, now, -1, 1} end
local waiting = redis.call('LLEN', wait)
local ranked = redis.call('ZCARD', prioritized)
local due = redis.call('ZCOUNT', delayed, 0, (now + 1) * 0x1000 - 1)
local dueAt = -1
if due > 0 then
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  dueAt = math.floor(tonumber(first[2]) / 0x1000)
end
local answer = {waiting + ranked + due, now, dueAt, 0}
if waiting > 0 then answer[#answer + 1] = redis.call('LINDEX', wait, -1) end
if ranked > 0 then
  local head = redis.call('ZRANGE', prioritized, 0, 0, 'WITHSCORES')
  local levels = 0
  while head[1] and levels < maxLevels do
    answer[#answer + 1] = head[1]
    levels = levels + 1
    local nextLevel = (math.floor(tonumber(head[2]) / LEVEL) + 1) * LEVEL
    head = redis.call('ZRANGEBYSCORE', prioritized, nextLevel, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  end
end
return answer
`;

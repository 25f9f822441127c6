/**
 * KEYS[1] the queue's BullMQ `limiter` key, KEYS[2] its `meta` hash; ARGV[1] the pause in ms,
 * ARGV[2] the limiter value (out of reach of any job count), ARGV[3] the mark of the pause's own
 * limit. Sets the limiter key as `queue.rateLimit` does, and a queue-wide limit in the meta hash
 * (BullMQ's global rate limit) unless an operator set one: every worker of the queue, in every
 * process, then checks the limiter key before taking a job. Returns 1.
 */
export const PAUSE_QUEUE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
if redis.call('HEXISTS', KEYS[2], 'max') == 0 then
  redis.call('HSET', KEYS[2], 'max', ARGV[2], 'duration', 1000, ARGV[3], 1)
end
return 1`;

/**
 * KEYS as {@link PAUSE_QUEUE_SCRIPT}; ARGV[1] the limiter value, ARGV[2] the mark. Removes the meta limit the pause set once no pause is running; returns the
 * milliseconds left of a running pause (another process may have extended it), else 0.
 */
export const LIFT_QUEUE_PAUSE_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return pttl
end
redis.call('HDEL', KEYS[2], 'max', 'duration', ARGV[2])
return 0`;

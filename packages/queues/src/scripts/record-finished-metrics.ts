/**
 * KEYS: the queue's BullMQ metrics hash of one outcome (`metrics:completed` or `metrics:failed`),
 * then its data points list (`...:data`).
 * ARGV: jobs finished since the last call, most data points kept, the time of the call (ms).
 * What BullMQ's `collectMetrics` does for one job as `moveToFinished` finishes it, for a whole
 * batch: the batch counts in `count`, and when the minute changed since `prevTS` the jobs counted
 * before it close the old minute (pushed to the data list, with a 0 for each minute between, the
 * list trimmed to its size). Returns 1.
 */
export const RECORD_FINISHED_METRICS_SCRIPT = `
local finished, maxPoints, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local count = redis.call('HINCRBY', KEYS[1], 'count', finished) - finished
local prevTS = redis.call('HGET', KEYS[1], 'prevTS')
if not prevTS then
  redis.call('HSET', KEYS[1], 'prevTS', ARGV[3], 'prevCount', 0)
  return 1
end
local minutes = math.min(math.floor(now / 60000) - math.floor(tonumber(prevTS) / 60000), maxPoints)
if minutes > 0 then
  local points = { count - tonumber(redis.call('HGET', KEYS[1], 'prevCount') or '0') }
  for i = 2, minutes do points[i] = 0 end
  for i = 1, #points, 5000 do
    redis.call('LPUSH', KEYS[2], unpack(points, i, math.min(i + 4999, #points)))
  end
  redis.call('LTRIM', KEYS[2], 0, maxPoints - 1)
  redis.call('HSET', KEYS[1], 'prevCount', count, 'prevTS', ARGV[3])
end
return 1`;

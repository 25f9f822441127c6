/**
 * KEYS[1] a dead-letter queue's origins set, KEYS[2] the dead letter's job key; ARGV now, the
 * origin job id, how long origins are remembered. Claims the origin job (ZADD NX) only if its copy
 * exists, and forgets old origins. Returns 1 for the one call that claims it, 0 after, -1 when
 * there is no copy.
 */
export const CLAIM_DEAD_LETTER_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
return redis.call('ZADD', KEYS[1], 'NX', now, ARGV[2])
`;

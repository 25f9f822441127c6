/**
 * KEYS[1] a dead-letter queue's origins set, KEYS[2] the dead letter's job key, KEYS[3] its
 * tenant's letters; ARGV now, the origin job id, how long origins are remembered, the letter's
 * id, how long letters are kept. Claims the origin job (ZADD NX) only if its copy exists, and
 * forgets old origins. Indexes the letter under its tenant (scored by the letter's own
 * timestamp, as retention reads it; again on a repeat, which changes nothing) and forgets the
 * tenant's letters past retention. Returns 1 for the one call that claims it, 0 after, -1 when
 * there is no copy.
 */
export const CLAIM_DEAD_LETTER_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local now = tonumber(ARGV[1])
local kept = tonumber(ARGV[5])
local born = tonumber(redis.call('HGET', KEYS[2], 'timestamp')) or now
redis.call('ZADD', KEYS[3], born, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - kept)
redis.call('PEXPIRE', KEYS[3], kept)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
return redis.call('ZADD', KEYS[1], 'NX', now, ARGV[2])
`;

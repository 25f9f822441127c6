/**
 * KEYS[1] a key, ARGV[1] the value its owner wrote, ARGV[2] a TTL in ms. Renews the key for the
 * TTL only if it still holds that value. Returns 1 when renewed, else 0.
 */
export const COMPARE_AND_EXTEND_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * KEYS[1] a key, ARGV[1] the value its owner wrote. Deletes the key only if it still holds that
 * value: a holder releases its own lock, lease or claim, never a later holder's. Returns 1 when
 * deleted, else 0.
 */
export const COMPARE_AND_DELETE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

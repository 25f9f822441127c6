/**
 * KEYS[1] the lease, ARGV[1] the holder, ARGV[2] its TTL in ms. Takes the lease when free,
 * renews it when held by `ARGV[1]`; returns 1 when `ARGV[1]` holds it, else 0.
 */
export const HOLD_LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

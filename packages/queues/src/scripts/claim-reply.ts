/**
 * KEYS[1] a reply's ledger key, ARGV[1] the attempt's marker, ARGV[2] the marker it may replace
 * ('' for none), ARGV[3] the TTL in ms. Claims the key for the attempt when it is free (or still
 * holds `ARGV[2]`), else reports it. Returns { 1, '' } when claimed, else { 0, current value }.
 */
export const CLAIM_REPLY_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return {1, ''}
end
return {0, current}
`;

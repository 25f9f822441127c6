/**
 * KEYS[1] our marker (the remembered job id, with the window's TTL), KEYS[2] BullMQ's
 * deduplication key. When the marker remembers a job but BullMQ's key is gone (retention removed
 * the job, and BullMQ deletes the key with it), the key is set again to the remembered id for the
 * rest of the window: the `add` that follows on the same connection then deduplicates to that id.
 * A key with a TTL is never treated as stale by BullMQ, so the removed job's id is what it
 * returns. Leaves `live` true when the `add` will deduplicate.
 */
const REARM = `
local remembered = redis.call('GET', KEYS[1])
local live = redis.call('EXISTS', KEYS[2]) == 1
if remembered and not live then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then
    redis.call('SET', KEYS[2], remembered, 'PX', ttl)
    live = true
  end
end
`;

/** Returns the remembered id or nil. */
export const REARM_SCRIPT = `${REARM}
return remembered
`;

/**
 * The same, plus KEYS[3] the fingerprint of the request that first used the key, ARGV[1] this
 * request's fingerprint and ARGV[2] the window in ms. When the `add` will deduplicate (a job
 * exists or is remembered for the key), a different stored fingerprint is a conflict. Otherwise
 * the first fingerprint to arrive is kept (SET NX): two different requests racing with one key
 * through two processes cannot both be stored and answered, whichever `add` runs first; the
 * cost is that a request whose `add` failed holds the key for its own body for the window. Returns { remembered id or '', 1 on conflict else 0 }.
 */
export const REARM_CHECKED_SCRIPT = `${REARM}
local conflict = 0
if live or not redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2], 'NX') then
  local fingerprint = redis.call('GET', KEYS[3])
  if fingerprint and fingerprint ~= ARGV[1] then conflict = 1 end
end
return { remembered or '', conflict }
`;

import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';

/**
 * KEYS[1] our marker (the remembered job id, with the window's TTL), KEYS[2] BullMQ's
 * deduplication key. When the marker remembers a job but BullMQ's key is gone (retention removed
 * the job, and BullMQ deletes the key with it), the key is set again to the remembered id for the
 * rest of the window: the `add` that follows on the same connection then deduplicates to that id.
 * A key with a TTL is never treated as stale by BullMQ, so the removed job's id is what it
 * returns. Returns the remembered id or nil.
 */
const REARM_SCRIPT = `
local remembered = redis.call('GET', KEYS[1])
if remembered and redis.call('EXISTS', KEYS[2]) == 0 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[2], remembered, 'PX', ttl) end
end
return remembered
`;

/** BullMQ's deduplication key of `deduplicationId` (as its own `getDeduplicationJobId` builds it). */
export function deduplicationKey(queue: Queue, deduplicationId: string): string {
  return `${queue.keys.de}:${deduplicationId}`;
}

/**
 * Sends the re-arm script for one job. Call it in the same turn as, and before, the `queue.add`
 * it protects: both travel on the same connection, so Redis runs them in that order, in one round
 * trip. Plain EVAL, not EVALSHA: ioredis answers a NOSCRIPT by sending the script again, which
 * would then run after the `add`.
 */
export function rearmDeduplication(
  connection: RedisConnection,
  markerKey: string,
  bullKey: string,
): Promise<string | null> {
  return connection.eval(REARM_SCRIPT, 2, markerKey, bullKey) as Promise<string | null>;
}

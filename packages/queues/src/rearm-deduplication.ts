import type { RedisConnection } from '@conveyor/redis';
import { REARM_CHECKED_SCRIPT, REARM_SCRIPT } from './scripts/rearm-deduplication.js';

/** What {@link rearmDeduplication} answers. */
export interface RearmResult {
  /** The job id the marker remembers, or null. */
  remembered: string | null;
  /** True when the key was first used for a request with another fingerprint. */
  conflict: boolean;
}

/**
 * Sends the re-arm script for one job. Call it in the same turn as, and before, the `queue.add`
 * it protects: both travel on the same connection, so Redis runs them in that order, in one round
 * trip. Plain EVAL, not EVALSHA: ioredis answers a NOSCRIPT by sending the script again, which
 * would then run after the `add`. With `fingerprint` (idempotency keys), the request is also
 * checked against the one that first used the key; a conflicting `add` still deduplicates to the
 * earlier job, so nothing new is stored.
 */
export async function rearmDeduplication(
  connection: RedisConnection,
  markerKey: string,
  bullKey: string,
  fingerprint?: { key: string; value: string; windowMs: number },
): Promise<RearmResult> {
  if (fingerprint === undefined) {
    const remembered = (await connection.eval(REARM_SCRIPT, 2, markerKey, bullKey)) as
      | string
      | null;
    return { remembered, conflict: false };
  }
  const [remembered, conflict] = (await connection.eval(
    REARM_CHECKED_SCRIPT,
    3,
    markerKey,
    bullKey,
    fingerprint.key,
    fingerprint.value,
    fingerprint.windowMs,
  )) as [string, number];
  return { remembered: remembered === '' ? null : remembered, conflict: conflict === 1 };
}

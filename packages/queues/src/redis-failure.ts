import { withTimeout } from '@conveyor/redis';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';

const UNAVAILABLE_PATTERNS: [RegExp, string][] = [
  [/^OOM\b/, 'Redis is out of memory (maxmemory reached with noeviction)'],
  [/Command timed out/i, 'a command timed out'],
  [/Stream isn't writeable|Connection is closed|enableOfflineQueue/i, 'not connected'],
  [/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND/, 'connection failed'],
  [
    /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/,
    'Redis is not accepting writes right now',
  ],
  [/MaxRetriesPerRequest|Reached the max retries/i, 'not connected'],
  [
    /All sentinels are unreachable|Failed to refresh slots cache|None of startup nodes/i,
    'no Redis node reachable',
  ],
];

/**
 * Classifies an error from a Redis write or read: connection loss, timeouts, OOM and failover
 * replies become {@link RedisUnavailableError} (retry later); anything else is returned as is.
 */
export function toRedisFailure(error: unknown): unknown {
  if (error instanceof RedisUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, reason] of UNAVAILABLE_PATTERNS) {
    if (pattern.test(message)) return new RedisUnavailableError(reason, { cause: error });
  }
  return error;
}

/**
 * Bounds a Redis operation in time. BullMQ waits for a connection to become ready before its
 * first command, which would hang an HTTP request for as long as Redis is down; the deadline
 * turns that into a prompt {@link RedisUnavailableError}.
 */
export async function withDeadline<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await withTimeout(
      operation,
      timeoutMs,
      () => new RedisUnavailableError(`no answer within ${timeoutMs} ms`),
    );
  } catch (error) {
    throw toRedisFailure(error);
  }
}

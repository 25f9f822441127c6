import { withDeadline } from '@conveyor/queues';

/**
 * Bounds a Redis read in time (a queue that never connected would otherwise wait for Redis
 * forever) and classifies connection failures as `RedisUnavailableError` (HTTP 503), as the
 * Producer does for writes.
 */
export function readFromRedis<T>(timeoutMs: number, operation: () => Promise<T>): Promise<T> {
  return withDeadline(operation(), timeoutMs);
}

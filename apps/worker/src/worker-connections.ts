import type { RedisConnection } from '@conveyor/redis';

/** The process's Redis connections, created once by `main.ts` and closed on shutdown. */
export interface WorkerConnections {
  /**
   * `worker` role (waits through outages): BullMQ Workers (each duplicates it once for its
   * blocking fetch), dead letters and the queue-wide rate limit.
   */
  worker: RedisConnection;
  /** `admin` role (fails fast): health checks, queue gauges, locks and markers. */
  admin: RedisConnection;
}

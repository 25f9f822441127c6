import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';

/**
 * Logs a connection's outages once each (lost, then ready again) instead of one line per
 * reconnect attempt, and gives ioredis the `error` listener without which it prints to stderr.
 */
export function logRedisErrors(connection: RedisConnection, role: string, logger: Logger): void {
  let everReady = false;
  let outageReported = false;
  connection.on('ready', () => {
    if (outageReported) logger.info({ role }, 'Redis connection ready');
    everReady = true;
    outageReported = false;
  });
  connection.on('error', (error: Error) => {
    if (outageReported) return;
    outageReported = true;
    logger.warn(
      { role, reason: error.message },
      everReady ? 'Redis connection lost; reconnecting' : 'Redis is not reachable yet; retrying',
    );
  });
}

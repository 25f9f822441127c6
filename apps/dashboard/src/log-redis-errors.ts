import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';

/**
 * Logs a connection's errors and its recovery. ioredis repeats the same error on every reconnect
 * attempt, so a message is logged only when it changes; without any listener ioredis would print
 * each one to stderr itself.
 */
export function logRedisErrors(connection: RedisConnection, logger: Logger): void {
  let lastError = '';
  connection.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ err: error }, 'Redis connection error');
  });
  connection.on('ready', () => {
    if (lastError) logger.info('Redis connection restored');
    lastError = '';
  });
}

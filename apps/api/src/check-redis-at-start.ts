import {
  checkRedis,
  isVersionAtLeast,
  MIN_REDIS_VERSION,
  type RedisConnection,
} from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';

/**
 * Checks Redis once it first answers and logs what it found: a server older than BullMQ's minimum
 * calls `onTooOld` (nothing could work), other problems and warnings are logged and `/readyz`
 * keeps reporting them.
 */
export function checkRedisAtStart(
  connection: RedisConnection,
  logger: Logger,
  onTooOld: () => void,
): void {
  connection.once('ready', async () => {
    const report = await checkRedis(connection);
    for (const problem of report.problems) logger.error({ problem }, 'Redis is not safe for jobs');
    for (const warning of report.warnings) logger.warn({ warning }, 'Redis configuration');
    const tooOld = report.nodes.find((node) => !isVersionAtLeast(node.version, MIN_REDIS_VERSION));
    if (tooOld) {
      logger.fatal(
        { version: tooOld.version, address: tooOld.address },
        `Redis ${tooOld.version} is too old: Conveyor needs Redis ${MIN_REDIS_VERSION} or newer`,
      );
      onTooOld();
    }
  });
}

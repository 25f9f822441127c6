import {
  checkRedis,
  isVersionAtLeast,
  MIN_REDIS_VERSION,
  type RedisConnection,
  type RedisHealthReport,
  type RedisNodeHealth,
} from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';

/** What {@link checkRedisAtStart} found. */
export interface RedisStartReport extends RedisHealthReport {
  /** A server older than BullMQ's minimum, with which nothing can work. */
  tooOld?: RedisNodeHealth;
}

/**
 * Checks a ready connection's Redis once and logs what it found: problems (an evicting policy, a
 * server too old) as errors, since `/readyz` keeps answering 503 for them, and warnings as
 * warnings. What a server too old means for the process is the caller's decision.
 */
export async function checkRedisAtStart(
  connection: RedisConnection,
  logger: Logger,
  timeoutMs: number,
): Promise<RedisStartReport> {
  const report = await checkRedis(connection, { timeoutMs });
  for (const problem of report.problems) {
    logger.error({ problem }, 'Redis is not safe for jobs: /readyz answers 503');
  }
  for (const warning of report.warnings) logger.warn({ warning }, 'Redis configuration');
  if (report.ready) logger.info({ latencyMs: report.latencyMs }, 'Redis ready');
  const tooOld = report.nodes.find((node) => !isVersionAtLeast(node.version, MIN_REDIS_VERSION));
  return tooOld ? { ...report, tooOld } : report;
}

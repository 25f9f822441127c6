export { type BufferedStdoutOptions, bufferedStdout } from './buffered-stdout.js';
export {
  createEnqueueMetrics,
  createHttpMetrics,
  createJobMetrics,
  createMetricsRegistry,
  type Registry,
} from './conveyor-metrics.js';
export { type CreateLoggerOptions, createLogger, type Logger } from './create-logger.js';
export { createFleetQueueGauges, type QueueSnapshot } from './fleet-queue-gauges.js';
export { LOG_LEVELS, type LogLevel } from './log-levels.js';
export { messageWithCauses } from './message-with-causes.js';
export { pathWithoutQuery } from './path-without-query.js';
export { REDACT_PATHS } from './redact-paths.js';

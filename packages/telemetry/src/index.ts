export { type BufferedStdoutOptions, bufferedStdout } from './buffered-stdout.js';
export {
  createEnqueueMetrics,
  createHttpMetrics,
  createJobMetrics,
  createMetricsRegistry,
  createQueueJobsGauge,
  type QueueCounts,
  type Registry,
} from './conveyor-metrics.js';
export { type CreateLoggerOptions, createLogger, type Logger } from './create-logger.js';
export { REDACT_PATHS } from './redact-paths.js';

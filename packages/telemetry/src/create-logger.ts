import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { REDACT_PATHS } from './redact-paths.js';

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Process role shown on every line, e.g. `api`, `worker`. */
  name: string;
  /**
   * Minimum level written.
   * @defaultValue 'info'
   */
  level?: LoggerOptions['level'];
  /** Extra fields on every line. */
  base?: Record<string, unknown>;
  /**
   * Where lines go; tests pass a stream to capture them.
   * @defaultValue standard output
   */
  destination?: DestinationStream;
}

/** The one way Conveyor builds a logger: JSON lines, ISO time, secrets redacted. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}

export type { Logger } from 'pino';

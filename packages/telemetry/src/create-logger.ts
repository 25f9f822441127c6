import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { bufferedStdout } from './buffered-stdout.js';
import { cachedIsoTime } from './cached-iso-time.js';
import { messageWithCauses } from './message-with-causes.js';
import { REDACT_PATHS } from './redact-paths.js';
import { wildcardRedactor } from './wildcard-redactor.js';

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
   * @defaultValue standard output, written in batches (see {@link bufferedStdout})
   */
  destination?: DestinationStream;
}

const CENSOR = '[redacted]';
/** Paths under every top-level field (`*.password`): censored by {@link wildcardRedactor}. */
const WILDCARD_PATHS = REDACT_PATHS.filter((path) => path.startsWith('*.'));
/** Every other path: pino's redaction, which is cheap for them. */
const EXACT_PATHS = REDACT_PATHS.filter((path) => !path.startsWith('*.'));

/** pino's error serializer, with each cause's message written once (see {@link messageWithCauses}). */
function serializeError(error: unknown) {
  const serialized = pino.stdSerializers.err(error as Error);
  if (error instanceof Error) serialized.message = messageWithCauses(error);
  return serialized;
}

/** The one way Conveyor builds a logger: JSON lines, ISO time, secrets redacted. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const redactWildcards = wildcardRedactor(WILDCARD_PATHS, CENSOR);
  const loggerOptions: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: cachedIsoTime(),
    redact: { paths: EXACT_PATHS, censor: CENSOR },
    serializers: { err: serializeError },
    formatters: {
      level: (label) => ({ level: label }),
      log: redactWildcards,
      bindings: redactWildcards,
    },
  };
  const logger = pino(loggerOptions, options.destination ?? bufferedStdout());
  // pino applies no formatter to a child's bindings; children (and theirs, which inherit this
  // method) get them redacted here.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactWildcards(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

export type { Logger } from 'pino';

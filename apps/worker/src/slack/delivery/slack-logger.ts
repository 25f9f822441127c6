import type { Logger } from '@conveyor/telemetry';
import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';

/**
 * Routes @slack/web-api's own log lines into the process's pino logger (JSON, redacted) instead
 * of its console logger. Its info and debug lines describe single HTTP calls: kept at debug.
 */
export function slackLogger(logger: Logger): SlackLogger {
  let level: LogLevel = LogLevel.WARN;
  const text = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: (...msg: unknown[]) => logger.debug(text(msg)),
    info: (...msg: unknown[]) => logger.debug(text(msg)),
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

import type { Logger } from '@conveyor/telemetry';
import { LogLevel, type Logger as SlackSdkLogger } from '@slack/logger';

/** Options for {@link slackLogger}. */
export interface SlackLoggerOptions {
  /**
   * Drop the SDK's debug and info lines instead of writing them at debug. The Web API client's
   * debug lines print each request body with only keys containing `token` masked: for
   * `oauth.v2.access` that is the app's `client_secret` and the one-time `code`.
   * @defaultValue false
   */
  quiet?: boolean;
}

/**
 * Routes the Slack SDKs' own log lines (`@slack/web-api`, `@slack/oauth`) into the process's
 * pino logger (JSON, redacted) instead of their console logger. Their info and debug lines
 * describe single HTTP calls: kept at debug, or dropped when `quiet`.
 */
export function slackLogger(logger: Logger, options: SlackLoggerOptions = {}): SlackSdkLogger {
  let level: LogLevel = LogLevel.WARN;
  const text = (parts: unknown[]) => parts.map(String).join(' ');
  const debug = options.quiet ? () => {} : (...msg: unknown[]) => logger.debug(text(msg));
  return {
    debug,
    info: debug,
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

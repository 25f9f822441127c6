import type { RedisConfig } from '@conveyor/redis';

/** Log levels `LOG_LEVEL` accepts, as pino names them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One API client: `name` labels its logs, metrics and rate limit; `secret` is its bearer token. */
export interface ApiToken {
  name: string;
  secret: string;
}

/** The API's own settings, parsed from the environment by {@link apiEnvSchema}. */
export interface ApiSettings {
  /**
   * TCP port to listen on (`PORT`); 0 picks a free one.
   * @defaultValue 3000
   */
  port: number;
  /**
   * Address to listen on (`HOST`).
   * @defaultValue '0.0.0.0'
   */
  host: string;
  /**
   * Minimum log level (`LOG_LEVEL`).
   * @defaultValue 'info'
   */
  logLevel: LogLevel;
  /** Clients allowed on `/v1/*` (`API_TOKENS`, required). */
  apiTokens: ApiToken[];
  /**
   * Requests per client per minute (`RATE_LIMIT_PER_MINUTE`); 0 turns the limit off.
   * @defaultValue 6000
   */
  rateLimitPerMinute: number;
  /**
   * Largest job data in bytes of JSON (`MAX_JOB_BYTES`).
   * @defaultValue 262144 (256 KiB)
   */
  maxJobBytes: number;
  /**
   * Slack app signing secret (`SLACK_SIGNING_SECRET`); without it `/slack/*` answers 503.
   * @defaultValue undefined
   */
  slackSigningSecret: string | undefined;
  /**
   * Largest body `/slack/*` reads (`SLACK_MAX_BODY_BYTES`); larger is refused with 413 before it
   * is read. Slack publishes no request size; its largest documented payload is a message event
   * at the 40,000-character text limit with the same text in its blocks, about 80 KB.
   * @defaultValue 131072 (128 KiB)
   */
  slackMaxBodyBytes: number;
  /**
   * How long in-flight requests may take to finish after SIGTERM (`SHUTDOWN_TIMEOUT_MS`).
   * @defaultValue 10000
   */
  shutdownTimeoutMs: number;
  /**
   * HTTP processes to run (`API_PROCESSES`): above 1, a primary process forks that many, which
   * share the port (Node's `cluster`), and supervises them.
   * @defaultValue 1
   */
  processes: number;
  /**
   * Most requests waiting with `waitMs` at once in one process (`MAX_WAITERS`); more answer 503.
   * @defaultValue 20000
   */
  maxWaiters: number;
  /**
   * Most open event streams at once in one process (`MAX_EVENT_STREAMS`); more answer 503.
   * @defaultValue 2000
   */
  maxEventStreams: number;
  /**
   * Milliseconds between heartbeat comments on an idle event stream (`EVENTS_HEARTBEAT_MS`).
   * @defaultValue 15000
   */
  eventsHeartbeatMs: number;
  /**
   * Unsent bytes an event stream may hold for a slow client before it is dropped
   * (`EVENTS_MAX_BUFFERED_BYTES`).
   * @defaultValue 262144 (256 KiB)
   */
  eventsMaxBufferedBytes: number;
}

/** Everything the API process is configured with. */
export interface AppConfig {
  redis: RedisConfig;
  api: ApiSettings;
}

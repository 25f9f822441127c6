import type { QueueName } from '@conveyor/queues';
import type { RedisConfig } from '@conveyor/redis';
import type { TrustProxy } from '@conveyor/runtime';
import type { LogLevel } from '@conveyor/telemetry';
import type { SlackOAuthSettings } from '../slack-oauth/slack-oauth-env.js';

/** One API client: `name` labels its logs, metrics and rate limit; `secret` is its bearer token. */
export interface ApiToken {
  name: string;
  secret: string;
}

/** What a scope lets a client do on a queue. `read` covers its jobs, counts and dead letters. */
export const SCOPE_ACTIONS = ['enqueue', 'read', 'replay', 'cancel'] as const;
export type ScopeAction = (typeof SCOPE_ACTIONS)[number];

/** What one client may do (`API_CLIENT_SCOPES`). */
export interface ClientScopes {
  /** The queues each action is allowed on. */
  queues: Readonly<Record<ScopeAction, ReadonlySet<QueueName>>>;
  /**
   * The tenants it acts for (`tenant:<id>` scopes): it may enqueue jobs for these only, named
   * or derived from the payload.
   * @defaultValue any tenant
   */
  tenants?: ReadonlySet<string>;
}

/** One client's quota (`API_CLIENT_QUOTAS`); an unset limit is no limit. */
export interface ClientQuotaLimits {
  /** Most of its jobs waiting (or delayed) at once. */
  maxJobs?: number;
  /** Most bytes of job data those jobs may hold. */
  maxBytes?: number;
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
   * Scopes by client name (`API_CLIENT_SCOPES`); `*` holds those of every client not named. A
   * client with no entry (and no `*`) may do everything.
   * @defaultValue empty: every client may do everything
   */
  clientScopes: ReadonlyMap<string, ClientScopes>;
  /**
   * Quotas by client name (`API_CLIENT_QUOTAS`); `*` holds those of every client not named.
   * @defaultValue empty: no quota
   */
  clientQuotas: ReadonlyMap<string, ClientQuotaLimits>;
  /**
   * Failed bearer authentications per source address per minute, per API process, before that
   * address is refused with 429 until a minute after its first failure
   * (`AUTH_FAILURES_PER_MINUTE`); 0 turns it off.
   * @defaultValue 20
   */
  authFailuresPerMinute: number;
  /**
   * Proxies whose `X-Forwarded-For` names the client (`TRUST_PROXY`): a hop count, or addresses,
   * CIDR ranges and `loopback`/`linklocal`/`uniquelocal`. Per-address limits count the client
   * so found (an IPv6 client by its /64); with `false` they count the TCP peer.
   * @defaultValue false
   */
  trustProxy: TrustProxy;
  /**
   * Requests per client per minute (`RATE_LIMIT_PER_MINUTE`); 0 turns the limit off.
   * @defaultValue 6000
   */
  rateLimitPerMinute: number;
  /**
   * Longest `options.delay` accepted, in ms (`MAX_DELAY_MS`); longer answers 400.
   * @defaultValue 604800000 (7 days)
   */
  maxDelayMs: number;
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
   * Open connections each API process accepts (`API_MAX_CONNECTIONS`); more are closed at once.
   * Each request waiting with `waitMs` and each event stream holds one for as long as it lasts,
   * so `maxWaiters` and `maxEventStreams` left unset are lowered to fit below it.
   * @defaultValue `maxWaiters + maxEventStreams + 1024` (23024), at most the open-files soft
   * limit less 256
   */
  maxConnections: number;
  /**
   * Why `maxWaiters`/`maxEventStreams` were lowered below what was asked, logged once at start.
   * @defaultValue undefined (nothing lowered)
   */
  connectionLimitNote?: string | undefined;
  /**
   * How long an idle keep-alive connection stays open (`API_KEEP_ALIVE_TIMEOUT_MS`); behind a
   * load balancer, set it above the balancer's idle timeout.
   * @defaultValue 5000
   */
  keepAliveTimeoutMs: number;
  /**
   * HTTP processes to run (`API_PROCESSES`): above 1, a primary process forks that many, which
   * share the port (Node's `cluster`), and supervises them.
   * @defaultValue 1
   */
  processes: number;
  /**
   * How long the lease that elects the one API process exporting the Redis-wide gauges lasts
   * without a scrape renewing it (`METRICS_EXPORTER_LEASE_MS`): keep it a few scrape intervals.
   * When its holder dies, another API exports from its first scrape after that.
   * @defaultValue 60000
   */
  metricsExporterLeaseMs: number;
  /**
   * Most requests waiting with `waitMs` at once in one process (`MAX_WAITERS`); more answer 503.
   * @defaultValue 20000, lowered to fit `maxConnections` when unset
   */
  maxWaiters: number;
  /**
   * Most open event streams at once in one process (`MAX_EVENT_STREAMS`); more answer 503.
   * @defaultValue 2000, lowered to fit `maxConnections` when unset
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
  /**
   * Slack's OAuth install flow (`/slack/install`, `/slack/oauth_redirect`), on when
   * `SLACK_CLIENT_ID` is set.
   * @defaultValue undefined: the routes are not served
   */
  slackOAuth: SlackOAuthSettings | undefined;
}

/** Everything the API process is configured with. */
export interface AppConfig {
  redis: RedisConfig;
  api: ApiSettings;
}

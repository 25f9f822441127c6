import type { TrustProxy } from '@conveyor/runtime';

/** Credentials an operator types into the browser's Basic auth prompt. */
export interface DashboardCredentials {
  username: string;
  password: string;
}

/** The dashboard's own validated settings (the Redis ones live in `RedisConfig`). */
export interface DashboardConfig {
  /**
   * TCP port to listen on (`PORT`); 0 picks a free one.
   * @defaultValue 3001
   */
  port: number;
  /**
   * Interface to listen on (`HOST`).
   * @defaultValue '0.0.0.0'
   */
  host: string;
  /**
   * Minimum pino level written (`LOG_LEVEL`).
   * @defaultValue 'info'
   */
  logLevel: string;
  /**
   * HTTP Basic credentials (`DASHBOARD_USERNAME`, `DASHBOARD_PASSWORD`); undefined only when
   * `DASHBOARD_AUTH=off` was set explicitly.
   */
  credentials: DashboardCredentials | undefined;
  /**
   * Hide and refuse every mutating action: retry, promote, clean, pause, add (`DASHBOARD_READ_ONLY`).
   * @defaultValue false
   */
  readOnly: boolean;
  /**
   * Path Bull Board is served under (`DASHBOARD_BASE_PATH`), normalised to start with `/` and end
   * without one (except the root itself).
   * @defaultValue '/'
   */
  basePath: string;
  /**
   * Proxies whose `X-Forwarded-For` names the client (`TRUST_PROXY`): a hop count, or addresses,
   * CIDR ranges and `loopback`/`linklocal`/`uniquelocal`. Failed logins count against the client
   * so found (an IPv6 client by its /64); with `false`, against the TCP peer.
   * @defaultValue false
   */
  trustProxy: TrustProxy;
}

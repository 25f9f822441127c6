import type { RequestListener, Server } from 'node:http';
import { createBoundedServer } from '@conveyor/runtime';

/** Connection limits of {@link createDashboardServer}. */
export interface DashboardServerLimits {
  /**
   * Open connections at once; past it new ones are closed as they arrive. An operator's browser
   * holds a handful.
   * @defaultValue 256
   */
  maxConnections?: number;
  /**
   * Time a connection may stay silent both ways before it is closed: one that connects and never
   * sends a byte (the header timeout only starts with the first one). Longer than the board's
   * response deadline, so a request waiting on Redis is answered first.
   * @defaultValue 20_000
   */
  idleTimeoutMs?: number;
  /**
   * Time a client has to send the request headers, counted from their first byte; then 408.
   * @defaultValue 10_000
   */
  headersTimeoutMs?: number;
  /**
   * Time a client has to send the whole request (Bull Board's bodies are small JSON).
   * @defaultValue 30_000
   */
  requestTimeoutMs?: number;
  /**
   * Time an idle keep-alive connection stays open after its last response.
   * @defaultValue 5_000
   */
  keepAliveTimeoutMs?: number;
  /**
   * How often Node looks for connections past the header or request timeout; a connection is
   * closed up to this much later than its timeout (Node's own default is 30 s).
   * @defaultValue 1_000
   */
  connectionsCheckingIntervalMs?: number;
}

/**
 * The dashboard's HTTP server around `app`, not yet listening. Node's defaults let a connection
 * that never sends a request live for about 60 + 30 s; these limits close slow and idle
 * connections within seconds and bound how many are open.
 */
export function createDashboardServer(
  app: RequestListener,
  limits: DashboardServerLimits = {},
): Server {
  return createBoundedServer(
    {
      maxConnections: limits.maxConnections ?? 256,
      headersTimeoutMs: limits.headersTimeoutMs ?? 10_000,
      requestTimeoutMs: limits.requestTimeoutMs ?? 30_000,
      keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? 5000,
      checkIntervalMs: limits.connectionsCheckingIntervalMs ?? 1000,
      idleTimeoutMs: limits.idleTimeoutMs ?? 20_000,
    },
    app,
  );
}

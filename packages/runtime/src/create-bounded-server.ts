import { createServer, type RequestListener, type Server } from 'node:http';

/** The bounds of {@link createBoundedServer}; each app picks its own values. */
export interface BoundedServerLimits {
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** Time a client has to send the request line and headers; then 408. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request; raised to `headersTimeoutMs` if lower. */
  requestTimeoutMs: number;
  /** Time an idle keep-alive connection stays open after its last response. */
  keepAliveTimeoutMs: number;
  /**
   * How often Node looks for connections past the header or request timeout: one is closed up
   * to this much later (Node's own default is 30 s).
   */
  checkIntervalMs: number;
  /**
   * Time a connection may stay silent both ways before it is closed (one that connects and never
   * sends a byte: the header timeout only starts with the first one).
   * @defaultValue Node's (none)
   */
  idleTimeoutMs?: number;
}

/**
 * An HTTP server, not yet listening, that slow or idle clients cannot hold sockets and memory
 * with: a connection cap and deadlines for headers, the whole request and idle keep-alive.
 * Every app's server is built here.
 */
export function createBoundedServer(
  limits: BoundedServerLimits,
  listener?: RequestListener,
): Server {
  const options = {
    headersTimeout: limits.headersTimeoutMs,
    // Node requires requestTimeout >= headersTimeout (or 0).
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
  const server = listener ? createServer(options, listener) : createServer(options);
  server.maxConnections = limits.maxConnections;
  // With no 'timeout' listener Node destroys the silent socket.
  if (limits.idleTimeoutMs !== undefined) server.setTimeout(limits.idleTimeoutMs);
  return server;
}

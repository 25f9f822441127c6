import type { Server } from 'node:http';
import { createBoundedServer } from '@conveyor/runtime';

/** How long a client may take to send its request line and headers. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** How long a client may take to send a whole request, body included. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Options for {@link createApiServer}. */
export interface ApiServerLimits {
  /** Open connections this process accepts; more are closed at once (`API_MAX_CONNECTIONS`). */
  maxConnections: number;
  /** How long an idle keep-alive connection stays open (`API_KEEP_ALIVE_TIMEOUT_MS`). */
  keepAliveTimeoutMs: number;
  /**
   * Headers arrive within this.
   * @defaultValue {@link HEADERS_TIMEOUT_MS}
   */
  headersTimeoutMs?: number;
  /**
   * The whole request arrives within this.
   * @defaultValue {@link REQUEST_TIMEOUT_MS}
   */
  requestTimeoutMs?: number;
  /**
   * How often the header and request timeouts are checked: they fire up to this much late.
   * @defaultValue 1000
   */
  checkIntervalMs?: number;
}

/**
 * The API's HTTP server, bounded so that slow or idle clients cannot hold sockets and memory:
 * a connection cap, a deadline for headers and one for the whole request (checked every second,
 * not Node's 30 s), and an idle keep-alive timeout. Requests are attached by the caller.
 */
export function createApiServer(limits: ApiServerLimits): Server {
  return createBoundedServer({
    maxConnections: limits.maxConnections,
    headersTimeoutMs: limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
    requestTimeoutMs: limits.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    checkIntervalMs: limits.checkIntervalMs ?? 1000,
  });
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBoundedServer } from '@conveyor/runtime';
import type { Logger } from '@conveyor/telemetry';

/**
 * What `/readyz` answers: the shape every Conveyor app's probe has. `problems` are short reasons
 * (never where Redis is or what runs there: the route is open); empty when ready.
 */
export interface Readiness {
  status: 'ready' | 'not-ready' | 'shutting-down';
  problems: string[];
}

/** Bounds on the health server's sockets; three tiny GET routes need little. */
export interface HealthServerLimits {
  /**
   * Open connections at once; more are closed.
   * @defaultValue 64
   */
  maxConnections?: number;
  /**
   * Headers arrive within this.
   * @defaultValue 5000
   */
  headersTimeoutMs?: number;
  /**
   * The whole request arrives within this.
   * @defaultValue 10000
   */
  requestTimeoutMs?: number;
  /**
   * An idle keep-alive connection is closed after this.
   * @defaultValue 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * How often the header and request deadlines are checked.
   * @defaultValue 1000
   */
  checkIntervalMs?: number;
}

/** Options for {@link HealthServer}. */
export interface HealthServerOptions {
  /** Address to bind (`WORKER_HTTP_HOST`). */
  host: string;
  /** 0 picks a free port (tests); turning the server off is the caller's choice. */
  port: number;
  /** Computes `/readyz`; must not throw and must answer promptly. */
  readiness: () => Promise<Readiness>;
  /** Prometheus text for `/metrics`. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  logger: Logger;
  /**
   * Socket bounds, so idle or slow clients cannot hold connections.
   * @defaultValue the defaults of each {@link HealthServerLimits} field
   */
  limits?: HealthServerLimits;
}

/**
 * The worker's small HTTP server: `/healthz` (the process runs), `/readyz` (Redis answers and
 * is safe, every worker runs, not shutting down) and `/metrics` (Prometheus). Plain node:http:
 * three read-only routes need no framework.
 */
export class HealthServer {
  readonly #options: HealthServerOptions;
  readonly #server: Server;

  constructor(options: HealthServerOptions) {
    this.#options = options;
    const limits = options.limits ?? {};
    const bounds = {
      maxConnections: limits.maxConnections ?? 64,
      headersTimeoutMs: limits.headersTimeoutMs ?? 5000,
      requestTimeoutMs: limits.requestTimeoutMs ?? 10_000,
      keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? 5000,
      checkIntervalMs: limits.checkIntervalMs ?? 1000,
    };
    this.#server = createBoundedServer(bounds, (request, response) => {
      this.#handle(request, response).catch((error) => {
        options.logger.error({ err: error }, 'health server request failed');
        if (!response.headersSent) send(response, 500, { error: 'internal error' });
        else response.destroy();
      });
    });
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  /** The bound address while listening. */
  address(): AddressInfo | undefined {
    const address = this.#server.address();
    return address && typeof address === 'object' ? address : undefined;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { error: 'method not allowed' });
      return;
    }
    switch (path) {
      case '/healthz':
        send(response, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const readiness = await this.#options.readiness();
        send(response, readiness.status === 'ready' ? 200 : 503, readiness);
        return;
      }
      case '/metrics': {
        const { contentType, body } = await this.#options.metrics();
        response.writeHead(200, { 'content-type': contentType });
        response.end(body);
        return;
      }
      default:
        send(response, 404, { error: 'not found' });
    }
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

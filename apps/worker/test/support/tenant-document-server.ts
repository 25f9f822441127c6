import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local document server for tenant tests: documents at `/<org>/<name>.txt`, each answered after
 * `delayMs`, or held until {@link release} for an org told to {@link hold}. It measures what the
 * handlers do, not what Conveyor counts: requests in flight per org (and their maximum), and
 * the order and time requests arrived in.
 */
export class TenantDocumentServer {
  /** Org of each request, in arrival order, with its arrival time. */
  readonly arrivals: { org: string; path: string; at: number }[] = [];
  readonly #inFlight = new Map<string, number>();
  readonly #maxInFlight = new Map<string, number>();
  readonly #held = new Map<string, ServerResponse[]>();
  readonly #holding = new Set<string>();
  readonly #server: Server;

  private constructor(private readonly delayMs: number) {
    this.#server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      const org = path.split('/')[1] ?? '';
      this.arrivals.push({ org, path, at: Date.now() });
      const now = (this.#inFlight.get(org) ?? 0) + 1;
      this.#inFlight.set(org, now);
      this.#maxInFlight.set(org, Math.max(now, this.#maxInFlight.get(org) ?? 0));
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.#inFlight.set(org, (this.#inFlight.get(org) ?? 1) - 1);
      };
      response.on('close', end);
      if (this.#holding.has(org)) {
        this.#held.set(org, [...(this.#held.get(org) ?? []), response]);
        return;
      }
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/plain' }).end(`document ${path}`);
      }, this.delayMs).unref();
    });
  }

  static async start(delayMs = 50): Promise<TenantDocumentServer> {
    const server = new TenantDocumentServer(delayMs);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  /** The URL of document `name` of `org`. */
  url(org: string, name: string): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${org}/${name}.txt`;
  }

  /** Requests of `org` in flight now. */
  inFlight(org: string): number {
    return this.#inFlight.get(org) ?? 0;
  }

  /** The most requests of `org` ever in flight at once. */
  maxInFlight(org: string): number {
    return this.#maxInFlight.get(org) ?? 0;
  }

  /** Requests of `org` are held unanswered from now on. */
  hold(org: string): void {
    this.#holding.add(org);
  }

  /** Answers `org` normally again; requests held so far are dropped (their client is gone). */
  release(org: string): void {
    this.#holding.delete(org);
    for (const response of this.#held.get(org) ?? []) response.destroy();
    this.#held.delete(org);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

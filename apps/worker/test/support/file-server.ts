import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the file server answers for one path. */
export interface ServedFile {
  body?: string | Buffer;
  /** @defaultValue 'text/plain; charset=utf-8' (pass null to send none) */
  contentType?: string | null;
  /** @defaultValue 200 */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  headers?: Record<string, string>;
  /** Send the body in pieces without `Content-Length`. */
  chunked?: boolean;
}

/** A local HTTP server for ingestion tests: documents, statuses, redirects and delays by path. */
export class FileServer {
  readonly #files = new Map<string, ServedFile[]>();
  readonly #hits = new Map<string, number>();
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      this.#hits.set(path, (this.#hits.get(path) ?? 0) + 1);
      const sequence = this.#files.get(path);
      // A sequence answers one entry per request; the last one repeats.
      const file = sequence && sequence.length > 1 ? sequence.shift() : sequence?.[0];
      const answer = () => {
        if (!file) {
          response.writeHead(404).end('not found');
          return;
        }
        const headers: Record<string, string> = { ...file.headers };
        if (file.contentType !== null) {
          headers['content-type'] = file.contentType ?? 'text/plain; charset=utf-8';
        }
        response.writeHead(file.status ?? 200, headers);
        const body = Buffer.from(file.body ?? '');
        if (!file.chunked) {
          response.end(body);
          return;
        }
        for (let offset = 0; offset < body.length; offset += 16_384) {
          response.write(body.subarray(offset, offset + 16_384));
        }
        response.end();
      };
      if (file?.delayMs) setTimeout(answer, file.delayMs).unref();
      else answer();
    });
  }

  static async start(): Promise<FileServer> {
    const server = new FileServer();
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The URL of `path` on 127.0.0.1. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  set(path: string, file: ServedFile): this {
    this.#files.set(path, [file]);
    return this;
  }

  /** Answers `path` with each of `files` in turn, then keeps answering with the last. */
  sequence(path: string, files: ServedFile[]): this {
    this.#files.set(path, [...files]);
    return this;
  }

  /** How many requests `path` received. */
  hits(path: string): number {
    return this.#hits.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

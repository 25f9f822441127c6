import type { ServerResponse } from 'node:http';

/** Options for {@link SseStream}. */
export interface SseStreamOptions {
  /** Milliseconds between heartbeat comments while nothing else is sent. */
  heartbeatMs: number;
  /** Bytes the answer may hold unsent (a slow or stalled client) before the client is dropped. */
  maxBufferedBytes: number;
}

/**
 * One server-sent events answer (`text/event-stream`).
 *
 * Responsibilities:
 * - write the headers that keep proxies from buffering or caching the stream;
 * - frame events (`event:`, `id:`, `data:` of one-line JSON);
 * - send a comment line every `heartbeatMs` so that idle proxies keep the connection open;
 * - drop a client whose unsent bytes pass `maxBufferedBytes`, so a client that reads slowly (or
 *   not at all) costs the process a bounded amount of memory.
 *
 * Written here rather than taken from a library: what the process needs is the bound on unsent
 * bytes, checked on every write, which the SSE helpers for Express leave to the caller; the
 * framing itself is a few lines.
 */
export class SseStream {
  #heartbeat: NodeJS.Timeout | undefined;
  #finished = false;
  #droppedClient = false;
  readonly #res: ServerResponse;
  readonly #options: SseStreamOptions;

  constructor(res: ServerResponse, options: SseStreamOptions) {
    this.#res = res;
    this.#options = options;
  }

  /** Writes the headers and starts the heartbeat; `onClose` runs once the answer is over. */
  open(onClose: () => void): void {
    const res = this.#res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.once('close', () => {
      this.#finished = true;
      clearInterval(this.#heartbeat);
      onClose();
    });
    this.#heartbeat = setInterval(() => this.#write(': keep-alive\n\n'), this.#options.heartbeatMs);
  }

  /** True once the client was dropped for reading too slowly. */
  get dropped(): boolean {
    return this.#droppedClient;
  }

  /** Sends one event; false when the stream is over (ended, closed or dropped). */
  send(event: string, data: unknown, id?: string): boolean {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.#write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends the stream. */
  end(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#heartbeat);
    this.#res.end();
  }

  #write(chunk: string): boolean {
    if (this.#finished) return false;
    if (this.#res.writableLength + Buffer.byteLength(chunk) > this.#options.maxBufferedBytes) {
      this.#droppedClient = true;
      this.#finished = true;
      clearInterval(this.#heartbeat);
      this.#res.destroy();
      return false;
    }
    this.#res.write(chunk);
    return true;
  }
}

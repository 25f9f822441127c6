import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options for {@link FakeSlack.start}. */
export interface FakeSlackOptions {
  /**
   * How long `chat.postMessage` takes to answer after it has stored the message: the window in
   * which a killed worker leaves a reply posted but unconfirmed.
   * @defaultValue 0
   */
  postLatencyMs?: number;
}

interface StoredMessage {
  ts: string;
  replyKey: string | undefined;
  metadata: unknown;
}

/**
 * A local Slack Web API, just enough for the worker's `app_mention` handler:
 * `chat.postMessage` (stores the message, answers after `postLatencyMs`) and
 * `conversations.replies` (lists a thread with its metadata). It counts the posts of each reply
 * key (`metadata.event_payload.reply_key`, the Slack `event_id`): a key posted twice is a
 * duplicate side effect.
 */
export class FakeSlack {
  /** Posts per reply key. */
  readonly postsByKey = new Map<string, number>();
  /** Every Authorization header seen, to check the bot token is used. */
  readonly authorizations = new Set<string>();
  readonly #threads = new Map<string, StoredMessage[]>();
  readonly #server: Server;
  readonly #latencyMs: number;
  #posts = 0;
  #counter = 0;

  private constructor(options: FakeSlackOptions) {
    this.#latencyMs = options.postLatencyMs ?? 0;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The value for `SLACK_API_URL`. */
  get apiUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/`;
  }

  /** Every `chat.postMessage` accepted, duplicates included. */
  get posts(): number {
    return this.#posts;
  }

  /** Distinct reply keys posted. */
  get uniqueKeys(): number {
    return this.postsByKey.size;
  }

  /** Posts beyond the first of their key. */
  get duplicates(): number {
    return this.#posts - this.postsByKey.size;
  }

  /** The keys of `expected` not posted yet. */
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((key) => !this.postsByKey.has(key));
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = parseParams(req.headers['content-type'], await readBody(req));
    if (req.headers.authorization) this.authorizations.add(req.headers.authorization);
    if (!/^Bearer xoxb-/.test(req.headers.authorization ?? '')) {
      return json(res, { ok: false, error: 'not_authed' });
    }
    switch (req.url) {
      case '/api/chat.postMessage':
        return this.#postMessage(params, res);
      case '/api/conversations.replies':
        return json(res, this.#replies(params));
      default:
        return json(res, { ok: false, error: 'unknown_method' });
    }
  }

  #postMessage(params: Record<string, unknown>, res: ServerResponse): void {
    const channel = String(params.channel ?? '');
    const threadTs = String(params.thread_ts ?? '');
    if (!channel) {
      json(res, { ok: false, error: 'channel_not_found' });
      return;
    }
    const metadata =
      typeof params.metadata === 'string' ? JSON.parse(params.metadata) : params.metadata;
    const replyKey = (metadata as { event_payload?: { reply_key?: unknown } } | undefined)
      ?.event_payload?.reply_key;
    this.#counter += 1;
    // Later than any thread parent the suite uses, so `oldest` filters never hide a reply.
    const ts = `${2_000_000_000 + this.#counter}.000001`;
    const key = `${channel}|${threadTs}`;
    const message: StoredMessage = {
      ts,
      replyKey: typeof replyKey === 'string' ? replyKey : undefined,
      metadata,
    };
    this.#threads.set(key, [...(this.#threads.get(key) ?? []), message]);
    this.#posts += 1;
    if (message.replyKey !== undefined) {
      this.postsByKey.set(message.replyKey, (this.postsByKey.get(message.replyKey) ?? 0) + 1);
    }
    const answer = () => json(res, { ok: true, channel, ts, message: { ts, type: 'message' } });
    if (this.#latencyMs > 0) setTimeout(answer, this.#latencyMs);
    else answer();
  }

  #replies(params: Record<string, unknown>): Record<string, unknown> {
    const thread = this.#threads.get(`${String(params.channel)}|${String(params.ts)}`) ?? [];
    const oldest = Number(params.oldest ?? 0);
    return {
      ok: true,
      messages: thread
        .filter((message) => Number(message.ts) > oldest)
        .map((message) => ({ type: 'message', ts: message.ts, metadata: message.metadata })),
      has_more: false,
      response_metadata: { next_cursor: '' },
    };
  }
}

function parseParams(contentType: string | undefined, body: string): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(body || '{}');
  return Object.fromEntries(new URLSearchParams(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

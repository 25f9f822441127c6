import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message the fake accepted through `chat.postMessage`. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  /** `Date.now()` when it was accepted. */
  receivedAt: number;
  /** The bot token it was posted with. */
  token?: string;
}

/** What one simulated approval on Slack's authorize page grants (see {@link FakeSlack.authorizeAs}). */
export interface FakeSlackGrant {
  /** The workspace; omitted for an org-wide install. */
  teamId?: string;
  /** The Enterprise Grid organisation, for an install in one or org-wide. */
  enterpriseId?: string;
  /** Installed for the whole organisation: `team` is null in Slack's answer. @defaultValue false */
  isEnterpriseInstall?: boolean;
  /** @defaultValue `xoxb-<team or enterprise id>-<random>` */
  botToken?: string;
  /** @defaultValue `U<team or enterprise id>BOT` */
  botUserId?: string;
}

/** A bot token the fake issued through `oauth.v2.access`. */
export interface FakeSlackInstallation
  extends Required<Omit<FakeSlackGrant, 'teamId' | 'enterpriseId'>> {
  teamId?: string;
  enterpriseId?: string;
  botId: string;
  /** True once {@link FakeSlack.revoke} was called: calls answer `token_revoked`. */
  revoked: boolean;
}

/** The Slack app the fake's OAuth endpoints accept. */
export interface FakeSlackOAuthApp {
  clientId: string;
  clientSecret: string;
  /** @defaultValue 'A0FAKEAPP' */
  appId?: string;
  /** The app's configured Redirect URL: used when the authorize page gets no `redirect_uri`. */
  redirectUrl?: string;
}

/** One call the fake received, whatever it answered. */
export interface FakeSlackCall {
  method: string;
  params: Record<string, unknown>;
  authorization: string | undefined;
  status: number;
  /** Slack `error` code answered, if any. */
  error?: string;
  at: number;
}

/** A body POSTed to a response URL. */
export interface FakeSlackResponse {
  id: string;
  body: Record<string, unknown>;
  receivedAt: number;
}

/** How the fake misbehaves for the next matching calls. */
export type FakeSlackFault =
  /** `200 { ok: false, error }` */
  | { kind: 'error'; error: string }
  /** An HTTP error status with no Slack body. */
  | { kind: 'http'; status: number }
  /**
   * 429 with `Retry-After`; every call of the method is rate limited for that long, as Slack does.
   * With `channel`, only calls to that channel match and are limited after it (Slack limits per
   * workspace: a test gives each workspace its own channels).
   */
  | { kind: 'rate-limit'; retryAfterSec: number; channel?: string }
  /** Stores the message, then answers `status`: the post happened but the answer was lost. */
  | { kind: 'accept-then-fail'; status: number }
  /** Stores the message, then answers only after `ms` (or never, until the fake stops). */
  | { kind: 'accept-then-hold'; ms?: number };

/** Options for {@link FakeSlack.start}. */
export interface FakeSlackOptions {
  /**
   * How long `chat.postMessage` takes to answer after it has stored the message: the window in
   * which a killed worker leaves a reply posted but unconfirmed.
   * @defaultValue 0
   */
  postLatencyMs?: number;
  /** The app `oauth.v2.access` accepts. @defaultValue none: it answers `invalid_client_id` */
  oauthApp?: FakeSlackOAuthApp;
}

interface FaultRule {
  method: string;
  fault: FakeSlackFault;
  remaining: number;
}

const TOKEN = /^Bearer xoxb-/;

/**
 * A local fake of the parts of Slack the worker talks to, speaking Slack's protocol:
 * `POST /api/chat.postMessage` and `POST /api/conversations.replies` (form-encoded or JSON,
 * `Authorization: Bearer xoxb-...`, answers `{ ok, ... }` / `{ ok: false, error }`, 429 with
 * `Retry-After`), and response URLs at `POST /respond/:id` (JSON body, answers `ok`).
 * Faults are scripted per method for the next N calls. It counts the posts of each reply key
 * (`metadata.event_payload.reply_key`, the Slack `event_id`): a key posted twice is a duplicate
 * side effect.
 *
 * It also installs the app in workspaces as Slack's OAuth v2 does: `GET /oauth/v2/authorize`
 * (the page a user approves on; it redirects to `redirect_uri` with a one-time `code` and the
 * `state`, granting what {@link FakeSlack.authorizeAs} said), `oauth.v2.access` (client id and
 * secret, a code used once) and `auth.test`. Tokens it issued are per workspace or organisation:
 * each message records the token it was posted with, and a revoked token answers `token_revoked`.
 */
export class FakeSlack {
  readonly messages: FakeSlackMessage[] = [];
  readonly calls: FakeSlackCall[] = [];
  readonly responses: FakeSlackResponse[] = [];
  /** Posts per reply key. */
  readonly postsByKey = new Map<string, number>();
  /** Every Authorization header seen, to check the bot token is used. */
  readonly authorizations = new Set<string>();
  readonly #rules: FaultRule[] = [];
  readonly #rateLimitedUntil = new Map<string, number>();
  readonly #held = new Set<ServerResponse>();
  readonly #server: Server;
  readonly #postLatencyMs: number;
  /** Issued bot tokens. */
  readonly installations = new Map<string, FakeSlackInstallation>();
  readonly #codes = new Map<string, FakeSlackGrant>();
  readonly #grants: FakeSlackGrant[] = [];
  /** The app the OAuth endpoints accept; settable after start (its redirect URL may come later). */
  oauthApp: FakeSlackOAuthApp | undefined;
  #counter = 0;

  private constructor(options: FakeSlackOptions) {
    this.#postLatencyMs = options.postLatencyMs ?? 0;
    this.oauthApp = options.oauthApp;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500).end(String(error));
      });
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get origin(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The value for `SLACK_API_URL`. */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  /** A response URL on the fake. */
  responseUrl(id: string): string {
    return `${this.origin}/respond/${id}`;
  }

  /** The value for `SLACK_AUTHORIZE_URL`: the page where a user approves an install. */
  get authorizeUrl(): string {
    return `${this.origin}/oauth/v2/authorize`;
  }

  /** What the next approval on the authorize page grants (one grant per approval, in order). */
  authorizeAs(grant: FakeSlackGrant): void {
    this.#grants.push(grant);
  }

  /** A one-time code for `grant`, as Slack's redirect after an approval carries. */
  issueCode(grant: FakeSlackGrant): string {
    this.#counter += 1;
    const code = `code-${this.#counter}-${Math.random().toString(36).slice(2)}`;
    this.#codes.set(code, grant);
    return code;
  }

  /** Revokes a bot token the fake issued (as an uninstall does): its calls answer `token_revoked`. */
  revoke(token: string): void {
    const installation = this.installations.get(token);
    if (installation) installation.revoked = true;
  }

  /** Messages posted with `token`. */
  messagesWith(token: string): FakeSlackMessage[] {
    return this.messages.filter((message) => message.token === token);
  }

  /** Applies `fault` to the next `times` calls of `method` (`response_url` for response URLs). */
  fail(method: string, fault: FakeSlackFault, times = 1): void {
    this.#rules.push({ method, fault, remaining: times });
  }

  /** Messages accepted in `channel`. */
  messagesIn(channel: string): FakeSlackMessage[] {
    return this.messages.filter((message) => message.channel === channel);
  }

  callsOf(method: string): FakeSlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Every `chat.postMessage` accepted, duplicates included. */
  get posts(): number {
    return this.messages.length;
  }

  /** Distinct reply keys posted. */
  get uniqueKeys(): number {
    return this.postsByKey.size;
  }

  /** Posts of a reply key beyond its first. */
  get duplicates(): number {
    let duplicates = 0;
    for (const count of this.postsByKey.values()) duplicates += count - 1;
    return duplicates;
  }

  /** The reply keys of `expected` not posted yet. */
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((key) => !this.postsByKey.has(key));
  }

  async stop(): Promise<void> {
    for (const response of this.#held) response.destroy();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const body = await readBody(request);
    if (request.method === 'POST' && url.pathname.startsWith('/respond/')) {
      const id = url.pathname.slice('/respond/'.length);
      const params = JSON.parse(body || '{}') as Record<string, unknown>;
      const fault = this.#takeFault('response_url');
      const call = this.#record('response_url', params, request, 200);
      if (fault)
        return this.#applyFault(fault, call, response, () => this.#storeResponse(id, params));
      this.#storeResponse(id, params);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (request.method === 'GET' && url.pathname === '/oauth/v2/authorize') {
      this.#authorizePage(url, response);
      return;
    }
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice(5) : '';
    if (request.method !== 'POST' || !method) {
      response.writeHead(404).end();
      return;
    }
    const params = parseParams(request.headers['content-type'], body);
    const call = this.#record(method, params, request, 200);
    const limitedUntil = Math.max(
      this.#rateLimitedUntil.get(method) ?? 0,
      this.#rateLimitedUntil.get(`${method}@${String(params.channel)}`) ?? 0,
    );
    if (limitedUntil > Date.now()) {
      call.status = 429;
      const retryAfter = Math.max(1, Math.ceil((limitedUntil - Date.now()) / 1000));
      json(
        response,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(retryAfter) },
      );
      return;
    }
    if (method === 'oauth.v2.access') {
      const result = this.#oauthAccess(params, request);
      if (result.ok === false) call.error = String(result.error);
      json(response, 200, result);
      return;
    }
    if (!TOKEN.test(call.authorization ?? '')) {
      call.error = 'not_authed';
      json(response, 200, { ok: false, error: 'not_authed' });
      return;
    }
    const token = (call.authorization ?? '').slice('Bearer '.length);
    const installation = this.installations.get(token);
    if (installation?.revoked) {
      call.error = 'token_revoked';
      json(response, 200, { ok: false, error: 'token_revoked' });
      return;
    }
    if (method === 'auth.test') {
      json(response, 200, authTest(token, installation));
      return;
    }
    const fault = this.#takeFault(method, params);
    const act = () => this.#api(method, params, token);
    if (fault) return this.#applyFault(fault, call, response, act);
    const result = act();
    if (method === 'chat.postMessage' && this.#postLatencyMs > 0) {
      setTimeout(() => json(response, 200, result), this.#postLatencyMs);
      return;
    }
    json(response, 200, result);
  }

  #applyFault(
    fault: FakeSlackFault,
    call: FakeSlackCall,
    response: ServerResponse,
    act: () => unknown,
  ): void {
    switch (fault.kind) {
      case 'error':
        call.error = fault.error;
        json(response, 200, { ok: false, error: fault.error });
        return;
      case 'http':
        call.status = fault.status;
        response.writeHead(fault.status, { 'content-type': 'text/plain' }).end('upstream failure');
        return;
      case 'rate-limit':
        call.status = 429;
        this.#rateLimitedUntil.set(
          fault.channel === undefined ? call.method : `${call.method}@${fault.channel}`,
          Date.now() + fault.retryAfterSec * 1000,
        );
        json(
          response,
          429,
          { ok: false, error: 'ratelimited' },
          { 'retry-after': String(fault.retryAfterSec) },
        );
        return;
      case 'accept-then-fail':
        act();
        call.status = fault.status;
        response.writeHead(fault.status, { 'content-type': 'text/plain' }).end('lost answer');
        return;
      case 'accept-then-hold': {
        const result = act();
        this.#held.add(response);
        if (fault.ms !== undefined) {
          setTimeout(() => {
            this.#held.delete(response);
            if (!response.destroyed) json(response, 200, result);
          }, fault.ms).unref();
        }
        return;
      }
    }
  }

  #api(method: string, params: Record<string, unknown>, token: string): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage': {
        if (typeof params.channel !== 'string' || !params.channel) {
          return { ok: false, error: 'channel_not_found' };
        }
        this.#counter += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(this.#counter).padStart(6, '0')}`;
        const metadata =
          typeof params.metadata === 'string'
            ? (JSON.parse(params.metadata) as FakeSlackMessage['metadata'])
            : (params.metadata as FakeSlackMessage['metadata']);
        const message: FakeSlackMessage = {
          channel: params.channel,
          ts,
          receivedAt: Date.now(),
          token,
          ...(typeof params.thread_ts === 'string' ? { thread_ts: params.thread_ts } : {}),
          ...(typeof params.text === 'string' ? { text: params.text } : {}),
          ...(metadata ? { metadata } : {}),
        };
        this.messages.push(message);
        const replyKey = metadata?.event_payload?.reply_key;
        if (typeof replyKey === 'string') {
          this.postsByKey.set(replyKey, (this.postsByKey.get(replyKey) ?? 0) + 1);
        }
        return { ok: true, channel: message.channel, ts, message: { ...message, type: 'message' } };
      }
      case 'conversations.replies': {
        const withMetadata = String(params.include_all_metadata) === 'true';
        const oldest = Number(params.oldest ?? 0);
        const replies = this.messages
          .filter(
            (message) =>
              message.channel === params.channel &&
              message.thread_ts === params.ts &&
              Number(message.ts) > oldest,
          )
          .map(({ metadata, receivedAt: _, token: __, ...message }) => ({
            type: 'message',
            ...message,
            ...(withMetadata && metadata ? { metadata } : {}),
          }));
        return {
          ok: true,
          messages: replies,
          has_more: false,
          response_metadata: { next_cursor: '' },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Slack's authorize page, approved at once with the next grant of {@link authorizeAs}. */
  #authorizePage(url: URL, response: ServerResponse): void {
    const redirectUri = url.searchParams.get('redirect_uri') ?? this.oauthApp?.redirectUrl;
    const grant = this.#grants.shift();
    if (!this.oauthApp || url.searchParams.get('client_id') !== this.oauthApp.clientId) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_client_id');
      return;
    }
    if (!redirectUri || !grant) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('nothing to grant');
      return;
    }
    const target = new URL(redirectUri);
    target.searchParams.set('code', this.issueCode(grant));
    const state = url.searchParams.get('state');
    if (state !== null) target.searchParams.set('state', state);
    response.writeHead(302, { location: target.toString() }).end();
  }

  /** `oauth.v2.access`: a code (once) and the app's credentials for a bot token. */
  #oauthAccess(params: Record<string, unknown>, request: IncomingMessage): Record<string, unknown> {
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':')
      : [];
    const clientId = params.client_id ?? basicId;
    const clientSecret = params.client_secret ?? basicSecret;
    const app = this.oauthApp;
    if (!app || clientId !== app.clientId) return { ok: false, error: 'invalid_client_id' };
    if (clientSecret !== app.clientSecret) return { ok: false, error: 'bad_client_secret' };
    const grant = typeof params.code === 'string' ? this.#codes.get(params.code) : undefined;
    if (!grant) return { ok: false, error: 'invalid_code' };
    this.#codes.delete(params.code as string);
    const isEnterpriseInstall = grant.isEnterpriseInstall ?? false;
    const owner = (isEnterpriseInstall ? grant.enterpriseId : grant.teamId) ?? 'T0';
    const installation: FakeSlackInstallation = {
      ...(isEnterpriseInstall || grant.teamId === undefined ? {} : { teamId: grant.teamId }),
      ...(grant.enterpriseId === undefined ? {} : { enterpriseId: grant.enterpriseId }),
      isEnterpriseInstall,
      botToken: grant.botToken ?? `xoxb-${owner}-${Math.random().toString(36).slice(2, 10)}`,
      botUserId: grant.botUserId ?? `U${owner}BOT`,
      botId: `B${owner}`,
      revoked: false,
    };
    this.installations.set(installation.botToken, installation);
    return {
      ok: true,
      app_id: app.appId ?? 'A0FAKEAPP',
      authed_user: { id: 'UINSTALLER' },
      scope: 'app_mentions:read,chat:write,channels:history',
      token_type: 'bot',
      access_token: installation.botToken,
      bot_user_id: installation.botUserId,
      team: installation.teamId
        ? { id: installation.teamId, name: `Team ${installation.teamId}` }
        : null,
      enterprise: installation.enterpriseId
        ? { id: installation.enterpriseId, name: `Org ${installation.enterpriseId}` }
        : null,
      is_enterprise_install: isEnterpriseInstall,
    };
  }

  #storeResponse(id: string, body: Record<string, unknown>): void {
    this.responses.push({ id, body, receivedAt: Date.now() });
  }

  #takeFault(method: string, params: Record<string, unknown> = {}): FakeSlackFault | undefined {
    const rule = this.#rules.find(
      (candidate) =>
        candidate.method === method &&
        candidate.remaining > 0 &&
        (candidate.fault.kind !== 'rate-limit' ||
          candidate.fault.channel === undefined ||
          candidate.fault.channel === params.channel),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  #record(
    method: string,
    params: Record<string, unknown>,
    request: IncomingMessage,
    status: number,
  ): FakeSlackCall {
    if (request.headers.authorization) this.authorizations.add(request.headers.authorization);
    const call: FakeSlackCall = {
      method,
      params,
      authorization: request.headers.authorization,
      status,
      at: Date.now(),
    };
    this.calls.push(call);
    return call;
  }
}

/** `auth.test` for a token: who it belongs to. */
function authTest(token: string, installation: FakeSlackInstallation | undefined) {
  return {
    ok: true,
    url: 'https://fake.slack.test/',
    team: installation?.teamId ?? 'T0',
    team_id: installation?.teamId ?? 'T0',
    user_id: installation?.botUserId ?? 'U0BOT',
    bot_id: installation?.botId ?? `B${token.length}`,
    is_enterprise_install: installation?.isEnterpriseInstall ?? false,
    ...(installation?.enterpriseId ? { enterprise_id: installation.enterpriseId } : {}),
  };
}

function parseParams(contentType: string | undefined, body: string): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(body || '{}');
  return Object.fromEntries(new URLSearchParams(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { withDeadline } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { type InstallURLOptions, InvalidStateError, type StateStore } from '@slack/oauth';

/** Options for {@link RedisOAuthStateStore}. */
export interface RedisOAuthStateStoreOptions {
  /** A fail-fast connection (the API's `admin` one). */
  connection: RedisConnection;
  /** The queue prefix: state keys live in its hash slot. */
  prefix: string;
  /** `SLACK_STATE_SECRET`: signs each state. */
  secret: string;
  /**
   * How long an install may take from `/slack/install` to the callback; also the cookie's life.
   * @defaultValue 600000 (10 minutes, as `@slack/oauth`'s own)
   */
  ttlMs?: number;
  /** Upper bound of one Redis command. */
  timeoutMs: number;
}

/** Longest state accepted: nonce, expiry and signature are about 80 characters. */
const MAX_STATE_CHARS = 200;
const STATE = /^([A-Za-z0-9_-]{24})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * The `state` of Slack's OAuth flow, as `@slack/oauth`'s `StateStore`: signed, short-lived and
 * single use. A state is `<nonce>.<expiry>.<HMAC-SHA256 of both with SLACK_STATE_SECRET>`; the
 * install options wait in Redis under the nonce (`<prefix>:slack:oauth-state:<nonce>`, expiring
 * with the state) and are taken with `GETDEL`, so a state opens one callback only, even one
 * replayed with the right cookie. The signature refuses forged or altered states before Redis
 * is asked. `@slack/oauth` binds the state to the browser that started the install: the API sets
 * it in a cookie and `handleCallback` compares the two.
 *
 * `@slack/oauth`'s default `ClearStateStore` is a signed token with an expiry, so it can be
 * replayed until it expires; hence this store.
 */
export class RedisOAuthStateStore implements StateStore {
  readonly ttlMs: number;
  readonly #options: RedisOAuthStateStoreOptions;

  constructor(options: RedisOAuthStateStoreOptions) {
    this.#options = options;
    this.ttlMs = options.ttlMs ?? 600_000;
  }

  async generateStateParam(installOptions: InstallURLOptions, now: Date): Promise<string> {
    const nonce = randomBytes(18).toString('base64url');
    const payload = `${nonce}.${(now.getTime() + this.ttlMs).toString(36)}`;
    await withDeadline(
      this.#options.connection.set(
        this.#key(nonce),
        JSON.stringify(installOptions),
        'PX',
        this.ttlMs,
      ),
      this.#options.timeoutMs,
    );
    return `${payload}.${this.#sign(payload)}`;
  }

  /** @throws InvalidStateError when the state is malformed, not ours, expired or already used */
  async verifyStateParam(now: Date, state: string): Promise<InstallURLOptions> {
    const match = state.length <= MAX_STATE_CHARS ? STATE.exec(state) : null;
    if (!match) throw new InvalidStateError('The state parameter is malformed');
    const [, nonce = '', expiry = '', signature = ''] = match;
    const expected = Buffer.from(this.#sign(`${nonce}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidStateError('The state parameter was not issued by this app');
    }
    if (Number.parseInt(expiry, 36) <= now.getTime()) {
      throw new InvalidStateError('The state parameter has expired: start the install again');
    }
    const stored = await withDeadline(
      this.#options.connection.getdel(this.#key(nonce)),
      this.#options.timeoutMs,
    );
    if (stored === null) {
      throw new InvalidStateError('The state parameter was already used or has expired');
    }
    return JSON.parse(stored) as InstallURLOptions;
  }

  #key(nonce: string): string {
    return `${this.#options.prefix}:slack:oauth-state:${nonce}`;
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#options.secret).update(payload).digest('base64url');
  }
}

import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '../config/app-config.js';

// One-shot `hash`: a `createHash` object per request cost about twice the time.
const digest = (secret: string) => hash('sha256', secret, 'buffer');

/**
 * Finds which client a bearer secret belongs to, in time independent of the secret: both sides
 * are hashed to 32 bytes first (so lengths never differ), and the presented one is compared with
 * every configured secret, without stopping at a match.
 */
export class TokenMatcher {
  readonly #tokens: { name: string; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.#tokens = tokens.map((token) => ({ name: token.name, digest: digest(token.secret) }));
  }

  /** The client name owning `secret`, or undefined. */
  match(secret: string): string | undefined {
    const presented = digest(secret);
    let found: string | undefined;
    for (const token of this.#tokens) {
      const equal = timingSafeEqual(presented, token.digest);
      found = equal ? token.name : found;
    }
    return found;
  }
}

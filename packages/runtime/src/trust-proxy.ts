import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/**
 * Which peers may say who the client is through `X-Forwarded-For`, in Express's `trust proxy`
 * terms: `false` (none: the TCP peer is the client), a hop count (the last `n` addresses, the
 * peer included, are proxies), or addresses, CIDR ranges and the names `loopback`, `linklocal`,
 * `uniquelocal`.
 */
export type TrustProxy = false | number | readonly string[];

/** Decides whether the address at hop `index` (0 = the TCP peer) is a proxy to trust. */
export type TrustFunction = (address: string, index: number) => boolean;

const OFF = new Set(['false', 'off', 'no', '0', 'none']);
const HOPS = /^[1-9][0-9]?$/;

/** `TRUST_PROXY`'s value as a {@link TrustProxy}, or the reason it is not one. */
function parseTrustProxy(value: string): { trust: TrustProxy } | { problem: string } {
  const text = value.trim().toLowerCase();
  if (OFF.has(text)) return { trust: false };
  if (HOPS.test(text)) return { trust: Number(text) };
  if (text === 'true' || text === 'all' || text === '*') {
    return {
      problem:
        'trusting every address would let any client pick its own by sending X-Forwarded-For; ' +
        'give the number of proxies in front (1, 2, ...) or their addresses (loopback, 10.0.0.0/8, ...)',
    };
  }
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    try {
      proxyaddr.compile(entry);
    } catch {
      return {
        problem: `"${entry}" is neither a proxy count (1-99), an address, a CIDR range, nor one of loopback, linklocal, uniquelocal`,
      };
    }
  }
  return { trust: entries };
}

/**
 * The zod field for `TRUST_PROXY`: unset, `false` or `0` trusts no proxy (the default); `1`, `2`,
 * ... trusts that many hops; a comma-separated list trusts those addresses, CIDR ranges and
 * names. `true` is refused: it would let every client choose the address it is counted by.
 */
export const trustProxyField = () =>
  z
    .preprocess((value) => (value === '' ? undefined : value), z.string().optional())
    .transform((value, ctx): TrustProxy => {
      if (value === undefined) return false;
      const parsed = parseTrustProxy(value);
      if ('trust' in parsed) return parsed.trust;
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    });

/** The {@link TrustFunction} of `TRUST_PROXY=false`: the TCP peer is the client. */
export const TRUST_NO_PROXY: TrustFunction = () => false;

/**
 * Compiles `trust` once into the function Express's `trust proxy` setting and
 * {@link clientAddress} both take, so that every path of an app agrees on the client.
 */
export function compileTrustProxy(trust: TrustProxy): TrustFunction {
  if (trust === false) return TRUST_NO_PROXY;
  if (typeof trust === 'number') return (_address, index) => index < trust;
  return proxyaddr.compile([...trust]);
}

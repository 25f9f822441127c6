import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { TRUST_NO_PROXY, type TrustFunction } from './trust-proxy.js';

/**
 * The client's address as Express's `req.ip` computes it: the TCP peer, or, when the peer is a
 * trusted proxy, the nearest untrusted address in `X-Forwarded-For`. For requests served
 * without Express (a fast path) with the same {@link TrustFunction} the app was given.
 */
export function clientAddress(req: IncomingMessage, trust: TrustFunction): string | undefined {
  // proxy-addr's answer in both cases, without its parsing (about 1 µs): it runs per request
  // for the request log.
  if (trust === TRUST_NO_PROXY || req.headers['x-forwarded-for'] === undefined) {
    return req.socket.remoteAddress;
  }
  return proxyaddr(req, trust);
}

import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Keys remembered for addresses that need parsing; past it the memory starts over. */
const CACHE_MAX = 10_000;
const cache = new Map<string, string>();

/**
 * The key a per-address limit counts `address` under: an IPv4 address as is (an IPv4-mapped IPv6
 * address, `::ffff:192.0.2.1`, as its IPv4 form, so one client is one key whichever socket family
 * it arrived on), an IPv6 address by its /64, the block one subscriber gets and can rotate
 * through at will. Anything unparsable is its own key; no address at all is `unknown`. Runs on
 * every authenticated request: plain IPv4 is answered at once, and the parsed forms (about 20 µs
 * each with ipaddr.js) are remembered.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (isIPv4(address)) return address;
  let key = cache.get(address);
  if (key === undefined) {
    key = parseKey(address);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(address, key);
  }
  return key;
}

function parseKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (!(ip instanceof ipaddr.IPv6)) return ip.toString();
  const network = ip.parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}

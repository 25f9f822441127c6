import ipaddr from 'ipaddr.js';

/**
 * The key a per-address limit counts `address` under: an IPv4 address as is (an IPv4-mapped IPv6
 * address, `::ffff:192.0.2.1`, as its IPv4 form, so one client is one key whichever socket family
 * it arrived on), an IPv6 address by its /64, the block one subscriber gets and can rotate
 * through at will. Anything unparsable is its own key; no address at all is `unknown`.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (!(ip instanceof ipaddr.IPv6)) return ip.toString();
  const network = ip.parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}

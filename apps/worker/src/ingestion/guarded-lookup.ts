import { type LookupAddress, lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { BlockedAddressError } from '../errors/blocked-address-error.js';
import { isPublicAddress } from './address-policy.js';

/**
 * A `lookup` for node:http that resolves every address of a host and refuses the connection if
 * any of them is not public. Checking inside the connection's own lookup (rather than resolving
 * once beforehand) means the address connected to is the address checked: a DNS answer that
 * changes between check and connect (DNS rebinding) cannot slip through.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    if (blocked) {
      callback(new BlockedAddressError(hostname, blocked.address), '', 0);
      return;
    }
    const first = addresses[0];
    if (!first) {
      callback(
        Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }),
        '',
        0,
      );
      return;
    }
    if (options.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  });
};

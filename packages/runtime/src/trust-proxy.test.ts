import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.js';
import { listenHttpServer } from './listen-http-server.js';
import { compileTrustProxy, type TrustProxy, trustProxyField } from './trust-proxy.js';

const parse = (value: string | undefined) => trustProxyField().safeParse(value);

/** What `clientAddress` says for a request from 127.0.0.1 carrying `forwardedFor`. */
async function addressSeen(trust: TrustProxy, forwardedFor?: string): Promise<string | undefined> {
  const compiled = compileTrustProxy(trust);
  let seen: string | undefined;
  const server = createServer((req, res) => {
    seen = clientAddress(req, compiled);
    res.end();
  });
  await listenHttpServer(server, 0, '127.0.0.1');
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
      request({ host: '127.0.0.1', port, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return seen;
}

describe('trustProxyField', () => {
  it('is off unless set, and reads hop counts and address lists', () => {
    expect(parse(undefined).data).toBe(false);
    expect(parse('').data).toBe(false);
    expect(parse('false').data).toBe(false);
    expect(parse('0').data).toBe(false);
    expect(parse('2').data).toBe(2);
    expect(parse('loopback, 10.0.0.0/8,fd00::/8, 192.0.2.1').data).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.1',
    ]);
  });

  it('refuses trusting everyone and entries that are not addresses', () => {
    expect(parse('true').error?.issues[0]?.message).toMatch(/any client pick its own/);
    expect(parse('loopback,proxy.internal').error?.issues[0]?.message).toMatch(
      /"proxy.internal" is neither/,
    );
    expect(parse('10.0.0.0/99').success).toBe(false);
    expect(parse('-1').success).toBe(false);
  });
});

describe('clientAddress', () => {
  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', async () => {
    expect(await addressSeen(false, '203.0.113.9')).toBe('127.0.0.1');
  });

  it('takes the forwarded address from a trusted proxy, and no further than trusted', async () => {
    expect(await addressSeen(['loopback'], '203.0.113.9')).toBe('203.0.113.9');
    expect(await addressSeen(1, '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    expect(await addressSeen(2, '198.51.100.1, 203.0.113.9')).toBe('198.51.100.1');
    expect(await addressSeen(['10.0.0.0/8'], '203.0.113.9')).toBe('127.0.0.1');
    expect(await addressSeen(['loopback'])).toBe('127.0.0.1');
  });
});

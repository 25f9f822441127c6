import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenHttpServer } from './listen-http-server.js';

describe('listenHttpServer', () => {
  it('resolves once listening and rejects with a readable reason when the port is taken', async () => {
    const first = createServer();
    await listenHttpServer(first, 0, '127.0.0.1');
    const { port } = first.address() as AddressInfo;
    try {
      await expect(listenHttpServer(createServer(), port, '127.0.0.1')).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
      );
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });
});

import type { Server } from 'node:http';
import { openRawConnection, type RawConnection } from '@conveyor/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiServer } from './create-api-server.js';

describe('createApiServer', () => {
  let server: Server | undefined;
  const connections: RawConnection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.socket.destroy();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  async function start(limits: Parameters<typeof createApiServer>[0]): Promise<number> {
    server = createApiServer(limits);
    server.on('request', (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }
  const open = async (port: number) => {
    const connection = await openRawConnection(port);
    connections.push(connection);
    return connection;
  };

  it('closes connections beyond maxConnections at once', async () => {
    const port = await start({ maxConnections: 2, keepAliveTimeoutMs: 60_000 });
    await open(port);
    await open(port);
    expect(await (await open(port)).closedWithin(5000)).toBe('');
  });

  it('cuts a client that sends its headers too slowly, and one whose body stalls', async () => {
    const port = await start({
      maxConnections: 10,
      keepAliveTimeoutMs: 60_000,
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      checkIntervalMs: 100,
    });
    const slowHeaders = await open(port);
    slowHeaders.write('POST /slack/events HTTP/1.1\r\nHost: x\r\n');
    const slowBody = await open(port);
    slowBody.write(
      'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial',
    );
    // Node's defaults (60 s for headers, 300 s for the request) would hold both far longer.
    expect(await slowHeaders.closedWithin(10_000)).toContain('408');
    expect(await slowBody.closedWithin(10_000)).toContain('408');
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const port = await start({ maxConnections: 10, keepAliveTimeoutMs: 1000 });
    const idle = await open(port);
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = performance.now();
    expect(await idle.closedWithin(10_000)).toContain('200 OK');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});

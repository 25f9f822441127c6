import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiServer } from './create-api-server.js';

/** A raw connection that records what the server sent and when it closed. */
async function open(port: number): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, closed };
}

/** Resolves with the close's result, or 'still open' after `ms`. */
const within = (closed: Promise<string>, ms: number) =>
  Promise.race([closed, new Promise<string>((resolve) => setTimeout(resolve, ms, 'still open'))]);

describe('createApiServer', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
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

  it('closes connections beyond maxConnections at once', async () => {
    const port = await start({ maxConnections: 2, keepAliveTimeoutMs: 60_000 });
    for (let i = 0; i < 2; i++) sockets.push((await open(port)).socket);
    const third = await open(port);
    sockets.push(third.socket);
    expect(await within(third.closed, 5000)).toBe('');
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
    sockets.push(slowHeaders.socket);
    slowHeaders.socket.write('POST /slack/events HTTP/1.1\r\nHost: x\r\n');
    const slowBody = await open(port);
    sockets.push(slowBody.socket);
    slowBody.socket.write(
      'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial',
    );
    // Node's defaults (60 s for headers, 300 s for the request) would hold both far longer.
    expect(await within(slowHeaders.closed, 10_000)).toContain('408');
    expect(await within(slowBody.closed, 10_000)).toContain('408');
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const port = await start({ maxConnections: 10, keepAliveTimeoutMs: 1000 });
    const idle = await open(port);
    sockets.push(idle.socket);
    idle.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = performance.now();
    expect(await within(idle.closed, 10_000)).toContain('200 OK');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});

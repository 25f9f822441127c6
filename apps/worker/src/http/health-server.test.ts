import { connect, type Socket } from 'node:net';
import { createLogger } from '@conveyor/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer, type HealthServerLimits } from './health-server.js';

/** A raw connection that records what the server sent, resolving `closed` with it. */
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

const within = (closed: Promise<string>, ms: number) =>
  Promise.race([closed, new Promise<string>((resolve) => setTimeout(resolve, ms, 'still open'))]);

describe('HealthServer sockets', () => {
  let server: HealthServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.close();
  });

  async function start(limits?: HealthServerLimits): Promise<number> {
    server = new HealthServer({
      host: '127.0.0.1',
      port: 0,
      readiness: async () => ({ ready: true }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      logger: createLogger({ name: 'test', level: 'silent' }),
      ...(limits ? { limits } : {}),
    });
    return (await server.listen()).port;
  }

  it('closes connections beyond its cap at once', async () => {
    const port = await start({ maxConnections: 1 });
    sockets.push((await open(port)).socket);
    const second = await open(port);
    sockets.push(second.socket);
    expect(await within(second.closed, 5000)).toBe('');
  });

  it('cuts an idle or slow client instead of holding its socket for a minute', async () => {
    const port = await start({ headersTimeoutMs: 300, checkIntervalMs: 100 });
    const idle = await open(port);
    sockets.push(idle.socket);
    const slow = await open(port);
    sockets.push(slow.socket);
    slow.socket.write('GET /readyz HTTP/1.1\r\n');
    expect(await within(idle.closed, 10_000)).not.toBe('still open');
    expect(await within(slow.closed, 10_000)).toContain('408');
  });

  it("by default cuts a connection that sends nothing within seconds, not Node's minute or more", async () => {
    const port = await start();
    const idle = await open(port);
    sockets.push(idle.socket);
    expect(await within(idle.closed, 20_000)).not.toBe('still open');
  });
});

import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { waitFor } from '@conveyor/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServerLimits } from './create-dashboard-server.js';

/** Bounded wait for a socket the server should close; Node's defaults take 60 s or more. */
const CLOSED_WITHIN_MS = 3000;

describe('createDashboardServer', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];

  async function serve(limits: DashboardServerLimits): Promise<number> {
    const server = createDashboardServer((_req, res) => res.end('ok'), limits);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** A raw TCP connection, open once it resolves; `closed` turns true when the server ends it. */
  async function open(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => {
      // A connection refused over maxConnections may be reset; 'close' follows.
    });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return { socket, closed: () => closed };
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(
      servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  it('closes a connection that never sends a byte once the idle timeout passes', async () => {
    const port = await serve({ idleTimeoutMs: 200 });
    const idle = await open(port);
    await waitFor(idle.closed, { timeoutMs: CLOSED_WITHIN_MS, description: 'idle socket closed' });
  });

  it('answers 408 and closes a connection that sends its headers too slowly', async () => {
    const port = await serve({ headersTimeoutMs: 200, connectionsCheckingIntervalMs: 50 });
    const slow = await open(port);
    let answer = '';
    slow.socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    slow.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await waitFor(slow.closed, { timeoutMs: CLOSED_WITHIN_MS, description: 'slow socket closed' });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after its last response', async () => {
    const port = await serve({ keepAliveTimeoutMs: 200 });
    const client = await open(port);
    let answer = '';
    client.socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    client.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitFor(() => answer.endsWith('ok'), { description: 'the response' });
    expect(answer).toMatch(/keep-alive/i);
    await waitFor(client.closed, { timeoutMs: CLOSED_WITHIN_MS, description: 'idle keep-alive' });
  });

  it('closes connections past maxConnections and keeps the others', async () => {
    const port = await serve({ maxConnections: 2 });
    const first = await open(port);
    const second = await open(port);
    const third = await open(port);
    await waitFor(third.closed, { timeoutMs: CLOSED_WITHIN_MS, description: 'third refused' });
    expect(first.closed()).toBe(false);
    expect(second.closed()).toBe(false);
  });
});

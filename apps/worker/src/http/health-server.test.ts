import { createLogger } from '@conveyor/telemetry';
import { openRawConnection, type RawConnection } from '@conveyor/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer, type HealthServerLimits } from './health-server.js';

describe('HealthServer sockets', () => {
  let server: HealthServer | undefined;
  const connections: RawConnection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.socket.destroy();
    await server?.close();
  });

  async function start(limits?: HealthServerLimits): Promise<number> {
    server = new HealthServer({
      host: '127.0.0.1',
      port: 0,
      readiness: async () => ({ status: 'ready', problems: [] }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      logger: createLogger({ name: 'test', level: 'silent' }),
      ...(limits ? { limits } : {}),
    });
    return (await server.listen()).port;
  }
  const open = async (port: number) => {
    const connection = await openRawConnection(port);
    connections.push(connection);
    return connection;
  };

  it('closes connections beyond its cap at once', async () => {
    const port = await start({ maxConnections: 1 });
    await open(port);
    expect(await (await open(port)).closedWithin(5000)).toBe('');
  });

  it('cuts an idle or slow client instead of holding its socket for a minute', async () => {
    const port = await start({ headersTimeoutMs: 300, checkIntervalMs: 100 });
    const idle = await open(port);
    const slow = await open(port);
    slow.write('GET /readyz HTTP/1.1\r\n');
    expect(await idle.closedWithin(10_000)).not.toBe('still open');
    expect(await slow.closedWithin(10_000)).toContain('408');
  });

  it("by default cuts a connection that sends nothing within seconds, not Node's minute or more", async () => {
    const port = await start();
    expect(await (await open(port)).closedWithin(20_000)).not.toBe('still open');
  });
});

import type { Socket } from 'node:net';
import { RedisServer } from '@conveyor/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atTurnEnd } from './at-turn-end.js';
import { coalesceWrites } from './coalesce-writes.js';

/** Counts the writes that reach the operating system: one `_writev` or `_write` each. */
function countSocketWrites(socket: Socket): () => number {
  let writes = 0;
  const target = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  for (const method of ['_write', '_writev'] as const) {
    const original = target[method];
    target[method] = function (this: unknown, ...args: unknown[]) {
      writes += 1;
      return original.apply(this, args);
    };
  }
  return () => writes;
}

describe('coalesceWrites', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());

  it('sends the commands of one event-loop turn in one socket write, and answers them all', async () => {
    const connection = new Redis(server.url, { lazyConnect: true });
    coalesceWrites(connection);
    await connection.connect();
    try {
      const writes = countSocketWrites(connection.stream as Socket);
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, index) => connection.echo(`m${index}`)),
      );
      expect(replies).toEqual(Array.from({ length: 50 }, (_, index) => `m${index}`));
      expect(writes()).toBe(1);
    } finally {
      connection.disconnect();
    }
  });

  it('sends the commands of end-of-turn tasks in the same turn, in the same write', async () => {
    const connection = new Redis(server.url, { lazyConnect: true });
    coalesceWrites(connection);
    await connection.connect();
    try {
      const socket = connection.stream as Socket;
      const writes = countSocketWrites(socket);
      // A request's command, then a batched one sent at the end of the turn (a store of jobs).
      const sent = [connection.echo('request')];
      atTurnEnd(() => sent.push(connection.echo('batched')));
      const atEndOfTurn = await new Promise<{ corked: number; writes: number }>((resolve) =>
        setImmediate(() => resolve({ corked: socket.writableCorked, writes: writes() })),
      );
      expect(atEndOfTurn).toEqual({ corked: 0, writes: 1 });
      expect(await Promise.all(sent)).toEqual(['request', 'batched']);
    } finally {
      connection.disconnect();
    }
  });

  it('coalesces again on the new socket after a reconnection', async () => {
    const connection = new Redis(server.url, { lazyConnect: true });
    coalesceWrites(connection);
    await connection.connect();
    try {
      const first = connection.stream;
      const reconnected = new Promise((resolve) => connection.once('ready', resolve));
      const admin = server.client();
      await admin.client('KILL', 'TYPE', 'normal').finally(() => admin.disconnect());
      await reconnected;
      expect(connection.stream).not.toBe(first);
      const writes = countSocketWrites(connection.stream as Socket);
      await Promise.all(Array.from({ length: 20 }, () => connection.ping()));
      expect(writes()).toBe(1);
    } finally {
      connection.disconnect();
    }
  });
});

import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { RedisServer } from './redis-server.js';

/** Options for {@link MaxmemoryRedis.start}. */
export interface MaxmemoryRedisOptions {
  /**
   * The memory limit the server starts with, as Redis writes it; tests move it with
   * {@link MaxmemoryRedis.leaveRoom} and {@link MaxmemoryRedis.lift}.
   * @defaultValue '64mb'
   */
  maxmemory?: string;
}

/** `used_memory` of `INFO memory`, in bytes (of the node that answers, on a Cluster). */
export async function readUsedMemory(client: Redis | Cluster): Promise<number> {
  const used = /^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1];
  if (used === undefined) throw new Error('INFO memory has no used_memory');
  return Number(used);
}

/**
 * A throwaway redis-server for tests of what happens at `maxmemory` (noeviction, no AOF), with
 * an admin client that sets the limit relative to the memory used now. Redis's own use drifts
 * (client buffers, expiring keys), so a limit fixed in advance would be reached at an unknown
 * point; a limit set just before a write decides whether that write crosses it.
 */
export class MaxmemoryRedis {
  /** The server; its `client()` gives more connections. */
  readonly server: RedisServer;
  /** A connection for assertions and for moving the limit; closed by {@link stop}. */
  readonly admin: Redis;

  private constructor(server: RedisServer) {
    this.server = server;
    this.admin = server.client();
  }

  static async start(options: MaxmemoryRedisOptions = {}): Promise<MaxmemoryRedis> {
    const server = await RedisServer.start({
      maxmemory: options.maxmemory ?? '64mb',
      maxmemoryPolicy: 'noeviction',
      appendonly: false,
    });
    return new MaxmemoryRedis(server);
  }

  /** A new ioredis client of the server; the caller disconnects it. */
  client(options: RedisOptions = {}): Redis {
    return this.server.client(options);
  }

  usedMemory(): Promise<number> {
    return readUsedMemory(this.admin);
  }

  /**
   * Sets the limit `bytes` above the memory used now: a write larger than that is refused with
   * OOM. A negative `bytes` puts the limit below what is used, so every write is refused.
   */
  async leaveRoom(bytes: number): Promise<void> {
    await this.admin.config('SET', 'maxmemory', String((await this.usedMemory()) + bytes));
  }

  /** Removes the limit (`maxmemory 0`). */
  async lift(): Promise<void> {
    await this.admin.config('SET', 'maxmemory', '0');
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    await this.server.stop();
  }
}

import { execFileSync } from 'node:child_process';
import { findRedisBinary, RedisServer } from '@conveyor/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from './create-redis-connection.js';
import { DeadlineRedis } from './deadline-redis.js';
import { parseEnvironment } from './parse-environment.js';
import { redisEnvSchema } from './redis-env.js';
import { waitUntilReady } from './wait-until-ready.js';
import { withTimeout } from './with-timeout.js';

const DEADLINE_MS = 200;

/**
 * Blocks the event loop, as a long GC pause or a big JSON parse does, past the deadline and
 * until Redis has stored `key` (so the reply is in the socket, however loaded the machine is).
 */
function freezeLoopUntilStored(port: number, key: string): void {
  const redisCli = findRedisBinary('redis-cli');
  const until = performance.now() + 2 * DEADLINE_MS;
  const stored = () =>
    execFileSync(redisCli, ['-p', String(port), 'EXISTS', key], { encoding: 'utf8' }).trim() ===
    '1';
  const giveUp = performance.now() + 10_000;
  while (performance.now() < until || !stored()) {
    // A synchronous loop is out of vitest's reach: end it here if the command never went out.
    if (performance.now() > giveUp) throw new Error(`${key} was never stored`);
  }
}

/** Runs after the writes held by coalesceWrites (flushed by an earlier setImmediate) went out. */
const afterWrites = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('deferred command deadlines', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());

  const connect = async () => {
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: String(DEADLINE_MS) },
    ).redis;
    const connection = createRedisConnection(config, 'producer');
    await waitUntilReady(connection, 5000);
    return connection;
  };

  it('plain ioredis fails a command whose reply arrived while the loop was frozen', async () => {
    // The problem the deferred deadline solves: the timers phase runs before the socket is read.
    const redis = new Redis({ port: server.port, commandTimeout: DEADLINE_MS });
    try {
      await redis.ping();
      const reply = redis.set('plain', 'v');
      freezeLoopUntilStored(server.port, 'plain');
      await expect(reply).rejects.toThrow('Command timed out');
    } finally {
      redis.disconnect();
    }
  });

  it('answers a command whose reply arrived while the loop was frozen', async () => {
    const connection = await connect();
    try {
      const reply = connection.set('frozen', 'v');
      await afterWrites();
      freezeLoopUntilStored(server.port, 'frozen');
      await expect(reply).resolves.toBe('OK');
      expect(await connection.get('frozen')).toBe('v');
    } finally {
      await closeRedisConnection(connection);
    }
  });

  it('keeps the deferred deadline on duplicates', async () => {
    const connection = await connect();
    const copy = connection.duplicate();
    try {
      expect(copy).toBeInstanceOf(DeadlineRedis);
      expect((copy as DeadlineRedis).commandTimeoutMs).toBe(DEADLINE_MS);
      await waitUntilReady(copy, 5000);
      const reply = copy.set('copy', 'v');
      freezeLoopUntilStored(server.port, 'copy');
      await expect(reply).resolves.toBe('OK');
    } finally {
      copy.disconnect();
      await closeRedisConnection(connection);
    }
  });

  it('still fails a command Redis does not answer', async () => {
    const connection = await connect();
    try {
      server.pause();
      const reply = connection.set('paused', 'v');
      await expect(reply).rejects.toThrow('Command timed out');
    } finally {
      server.resume();
      connection.disconnect();
    }
  });

  it('withTimeout lets a reply that arrived during a freeze win', async () => {
    const connection = await connect();
    try {
      const reply = withTimeout(connection.set('race', 'v'), DEADLINE_MS, () => new Error('late'));
      await afterWrites();
      freezeLoopUntilStored(server.port, 'race');
      await expect(reply).resolves.toBe('OK');
    } finally {
      await closeRedisConnection(connection);
    }
  });

  it('withTimeout still fails an operation that does not settle', async () => {
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, DEADLINE_MS, () => new Error('late'))).rejects.toThrow('late');
  });
});

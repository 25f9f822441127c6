import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { RedisServer, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RateLimiter, WINDOW_MS } from './rate-limiter.js';

describe('RateLimiter', () => {
  let connection: RedisConnection;
  const prefix = `t${randomUUID().slice(0, 8)}`;
  // A fixed point 10 s into a window, moved by the tests.
  let now = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 10_000;
  const clock = { now: () => now };
  const limiter = (limitPerMinute: number) =>
    new RateLimiter({ connection, prefix, limitPerMinute, clock });

  const connect = async (url: string) => {
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: url, QUEUE_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '300' },
    ).redis;
    const created = createRedisConnection(config, 'admin');
    created.on('error', () => {});
    await waitFor(() => created.status === 'ready', { description: 'the admin connection' });
    return created;
  };

  beforeAll(async () => {
    connection = await connect(inject('redisUrl'));
  });
  afterAll(() => connection.disconnect());

  it('counts several units at once, all or none', async () => {
    const rate = limiter(10);
    expect(rate.take('bulk', 7).allowed).toBe(true);
    expect(rate.take('bulk', 4).allowed).toBe(false);
    expect(rate.take('bulk', 3).allowed).toBe(true);
    expect(rate.take('bulk').allowed).toBe(false);
    await rate.settled();
    expect(await connection.get(`${prefix}:ratelimit:bulk:${Math.floor(now / WINDOW_MS)}`)).toBe(
      '10',
    );
  });

  it('admits the limit per client per window, then refuses until the next window', async () => {
    const rate = limiter(3);
    const verdicts = Array.from({ length: 5 }, () => rate.take('a').allowed);
    expect(verdicts).toEqual([true, true, true, false, false]);
    expect(rate.take('b').allowed).toBe(true);
    expect(rate.take('a')).toEqual({ allowed: false, retryAfterSeconds: 50, limitPerMinute: 3 });
    await rate.settled();
    expect(await connection.get(`${prefix}:ratelimit:a:${Math.floor(now / WINDOW_MS)}`)).toBe('3');
    const ttl = await connection.pttl(`${prefix}:ratelimit:a:${Math.floor(now / WINDOW_MS)}`);
    expect(ttl).toBeGreaterThan(WINDOW_MS);

    now += WINDOW_MS;
    expect(rate.take('a').allowed).toBe(true);
    await rate.settled();
  });

  it('shares the count between processes through Redis', async () => {
    now += WINDOW_MS;
    const first = limiter(10);
    const second = limiter(10);
    for (let i = 0; i < 8; i++) expect(first.take('shared').allowed).toBe(true);
    await first.settled();
    // The second process learns the total from its first write's reply.
    expect(second.take('shared').allowed).toBe(true);
    await second.settled();
    expect(second.take('shared').allowed).toBe(true);
    expect(second.take('shared').allowed).toBe(false);
    await second.settled();
    expect(await connection.get(`${prefix}:ratelimit:shared:${Math.floor(now / WINDOW_MS)}`)).toBe(
      '10',
    );
  });

  it('keeps counting locally while Redis is down, and stores the counts once it is back', async () => {
    now += WINDOW_MS;
    const server = await RedisServer.start({ appendonly: false });
    const own = await connect(server.url);
    const errors: unknown[] = [];
    const rate = new RateLimiter({
      connection: own,
      prefix,
      limitPerMinute: 3,
      clock,
      onSyncError: (error) => errors.push(error),
    });
    try {
      await server.kill();
      expect(rate.take('offline').allowed).toBe(true);
      expect(rate.take('offline').allowed).toBe(true);
      await rate.settled();
      expect(errors.length).toBeGreaterThan(0);
      await server.restart();
      await waitFor(() => own.status === 'ready', { description: 'reconnection' });
      expect(rate.take('offline').allowed).toBe(true);
      await rate.settled();
      expect(rate.take('offline').allowed).toBe(false);
      const key = `${prefix}:ratelimit:offline:${Math.floor(now / WINDOW_MS)}`;
      expect(await own.get(key)).toBe('3');
    } finally {
      own.disconnect();
      await server.stop();
    }
  });
});

import { RedisServer } from '@conveyor/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from './create-redis-connection.js';
import { parseEnvironment } from './parse-environment.js';
import { queuedAllowanceMs } from './queued-allowance.js';
import { redisEnvSchema } from './redis-env.js';
import { sendCommandWithin } from './send-command-within.js';
import { waitUntilReady } from './wait-until-ready.js';

describe('sendCommandWithin', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = server.client();
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it('lengthens the deadline of a command and of those behind it, not of those before', async () => {
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '100' },
    ).redis;
    const connection = createRedisConnection(config, 'producer');
    try {
      await waitUntilReady(connection, 5000);
      // Writes wait 400 ms: past the 100 ms deadline, within 100 + 2,000 ms.
      await admin.call('CLIENT', 'PAUSE', '400', 'WRITE');
      const plain = connection.set('plain', '1');
      const within = sendCommandWithin(connection, 'set', ['within', '1'], 2000);
      const behind = connection.set('behind', '1');
      await expect(plain).rejects.toThrow(/Command timed out/);
      await expect(within).resolves.toBe('OK');
      await expect(behind).resolves.toBe('OK');
      expect(await admin.mget('within', 'behind')).toEqual(['1', '1']);
      expect(queuedAllowanceMs(connection)).toBe(0);
    } finally {
      await closeRedisConnection(connection);
    }
  });
});

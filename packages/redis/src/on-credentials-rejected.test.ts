import { RedisServer } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection } from './create-redis-connection.js';
import { onCredentialsRejected } from './on-credentials-rejected.js';
import { parseEnvironment } from './parse-environment.js';
import { redisEnvSchema } from './redis-env.js';
import { type RedisAuthError, waitUntilReady } from './wait-until-ready.js';

const parse = (env: Record<string, string>) =>
  parseEnvironment({ redis: redisEnvSchema }, env).redis;

describe('onCredentialsRejected', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({
      password: 'right-password',
      aclUsers: ['user app on >app-password ~conveyor:* +@all'],
    });
  });
  afterAll(() => server.stop());

  for (const [label, url] of [
    ['a wrong password', () => `redis://:wrong-password@127.0.0.1:${server.port}`],
    ['a wrong ACL user password', () => `redis://app:wrong-password@127.0.0.1:${server.port}`],
  ] as const) {
    it(`reports ${label} once, naming the variables to check`, async () => {
      const connection = createRedisConnection(parse({ REDIS_URL: url() }), 'admin');
      connection.on('error', () => {});
      try {
        const rejected: RedisAuthError[] = [];
        const first = new Promise<RedisAuthError>((resolve) =>
          onCredentialsRejected(connection, (error) => {
            rejected.push(error);
            resolve(error);
          }),
        );
        const error = await first;
        expect(error.code).toBe('REDIS_AUTH_FAILED');
        expect(error.message).toMatch(/Redis rejected the credentials \(WRONGPASS\)/);
        expect(error.message).toMatch(/REDIS_PASSWORD/);
        expect(error.message).not.toMatch(/wrong-password/);
        // The connection keeps retrying (and failing); the callback is not called again.
        await new Promise<void>((resolve) => connection.once('error', () => resolve()));
        expect(rejected).toHaveLength(1);
      } finally {
        connection.disconnect();
      }
    });
  }

  it('stays silent with the right credentials', async () => {
    const connection = createRedisConnection(
      parse({ REDIS_URL: `redis://app:app-password@127.0.0.1:${server.port}` }),
      'admin',
    );
    const rejected: unknown[] = [];
    onCredentialsRejected(connection, (error) => rejected.push(error));
    try {
      expect(await waitUntilReady(connection, 5000)).toBe(true);
      expect(await connection.ping()).toBe('PONG');
      expect(rejected).toEqual([]);
      expect(connection.listenerCount('error')).toBe(0);
    } finally {
      connection.disconnect();
    }
  });
});

import { RedisServer, SYNC_NOW, startRedisReplica, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedis } from './check-redis.js';
import { closeRedisConnection, createRedisConnection } from './create-redis-connection.js';
import { parseEnvironment } from './parse-environment.js';
import { redisEnvSchema } from './redis-env.js';
import { waitUntilReady } from './wait-until-ready.js';

const configFor = (url: string) =>
  parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: url, REDIS_COMMAND_TIMEOUT_MS: '300' })
    .redis;

async function adminConnection(url: string) {
  const connection = createRedisConnection(configFor(url), 'admin');
  connection.on('error', () => {});
  expect(await waitUntilReady(connection, 5000)).toBe(true);
  return connection;
}

describe('checkRedis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ maxmemory: '64mb' });
  });
  afterAll(() => server.stop());

  it('reports a noeviction server with AOF as ready', async () => {
    const connection = await adminConnection(server.url);
    try {
      const report = await checkRedis(connection);
      expect(report.ready).toBe(true);
      expect(report.problems).toEqual([]);
      expect(report.nodes[0]).toMatchObject({
        maxmemoryPolicy: 'noeviction',
        aofEnabled: true,
        maxmemoryBytes: 64 * 1024 * 1024,
      });
      expect(report.nodes[0]?.version).toMatch(/^\d+\.\d+/);
      expect(report.latencyMs).toBeGreaterThanOrEqual(0);
    } finally {
      await closeRedisConnection(connection);
    }
  });

  it('reports fewer online replicas than required as not ready', async () => {
    const master = await RedisServer.start({ appendonly: false, extraArgs: SYNC_NOW });
    const replica = await startRedisReplica(master, { extraArgs: ['--appendonly', 'no'] });
    const connection = await adminConnection(master.url);
    try {
      const withReplica = await checkRedis(connection, { minReplicas: 1 });
      expect(withReplica.problems).toEqual([]);
      expect(withReplica.nodes[0]?.connectedReplicas).toBe(1);
      expect((await checkRedis(connection, { minReplicas: 2 })).problems).toEqual([
        `1 replica(s) online at 127.0.0.1:${master.port}, 2 required to confirm each enqueue: enqueues fail until enough replicas are back`,
      ]);

      await replica.kill('SIGKILL');
      const alone = await waitFor(
        async () => {
          const report = await checkRedis(connection, { minReplicas: 1 });
          return report.ready ? undefined : report;
        },
        { description: 'the master to notice its replica is gone' },
      );
      expect(alone.problems).toEqual([
        `0 replica(s) online at 127.0.0.1:${master.port}, 1 required to confirm each enqueue: enqueues fail until enough replicas are back`,
      ]);
      // Not required, no replica is no problem.
      expect((await checkRedis(connection)).ready).toBe(true);
    } finally {
      await closeRedisConnection(connection);
      await replica.stop();
      await master.stop();
    }
  });

  it('reports an evicting policy as not ready, naming the policy', async () => {
    const lru = await RedisServer.start({ maxmemoryPolicy: 'allkeys-lru', appendonly: false });
    const connection = await adminConnection(lru.url);
    try {
      const report = await checkRedis(connection);
      expect(report.ready).toBe(false);
      expect(report.reachable).toBe(true);
      expect(report.problems.join(' ')).toContain('maxmemory-policy is allkeys-lru');
      expect(report.warnings.join(' ')).toContain('AOF is off');
    } finally {
      await closeRedisConnection(connection);
      await lru.stop();
    }
  });

  it('warns when memory nears maxmemory', async () => {
    const small = await RedisServer.start({ maxmemory: '1200kb', appendonly: false });
    const connection = await adminConnection(small.url);
    try {
      const report = await checkRedis(connection, { memoryWarningRatio: 0.05 });
      expect(report.ready).toBe(true);
      expect(report.warnings.join(' ')).toMatch(/memory at .* is \d+% of maxmemory/);
    } finally {
      await closeRedisConnection(connection);
      await small.stop();
    }
  });

  it('answers within its bound when Redis is frozen or gone', async () => {
    const frozen = await RedisServer.start({ appendonly: false });
    const connection = await adminConnection(frozen.url);
    try {
      frozen.pause();
      const started = Date.now();
      const report = await checkRedis(connection, { timeoutMs: 500 });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(report.ready).toBe(false);
      expect(report.reachable).toBe(false);
      expect(report.problems[0]).toMatch(/Redis is unreachable/);
      frozen.resume();
      await frozen.kill();
      const gone = await checkRedis(connection, { timeoutMs: 500 });
      expect(gone.ready).toBe(false);
    } finally {
      frozen.resume();
      connection.disconnect();
      await frozen.stop();
    }
  });
});

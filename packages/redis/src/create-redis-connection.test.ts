import { RedisServer, startRedisCluster, startRedisSentinel } from '@conveyor/testing';
import { Queue, Worker } from 'bullmq';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from './create-redis-connection.js';
import { DeadlineCluster } from './deadline-cluster.js';
import type { DeadlineRedis } from './deadline-redis.js';
import { parseEnvironment } from './parse-environment.js';
import { redisEnvSchema } from './redis-env.js';
import { RedisAuthError, waitUntilReady } from './wait-until-ready.js';

const parse = (env: Record<string, string>) =>
  parseEnvironment({ redis: redisEnvSchema }, env).redis;

describe('createRedisConnection', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ password: 'right-password' });
  });
  afterAll(() => server.stop());

  it('never sets keyPrefix, and blocking roles never give up on a command', () => {
    const config = parse({ REDIS_URL: server.url });
    for (const role of ['producer', 'admin', 'worker', 'queue-events'] as const) {
      const connection = createRedisConnection(config, role, { lazyConnect: true });
      const options = connection.options as RedisOptions;
      expect(options.keyPrefix ?? '').toBe('');
      if (role === 'worker' || role === 'queue-events') {
        expect(options.maxRetriesPerRequest).toBeNull();
        expect((connection as DeadlineRedis).commandTimeoutMs).toBeUndefined();
      } else {
        expect(options.enableOfflineQueue).toBe(false);
        expect((connection as DeadlineRedis).commandTimeoutMs).toBe(1000);
      }
      // The deadline is DeadlineRedis' deferred one, never ioredis' own timer.
      expect(options.commandTimeout).toBeUndefined();
      // Auto-pipelining doubles enqueue latency and slows workers (pnpm bench).
      expect(options.enableAutoPipelining ?? false).toBe(false);
      connection.disconnect();
    }
  });

  it('fails a wrong password with a clear error instead of hanging', async () => {
    const config = parse({ REDIS_URL: `redis://:wrong-password@127.0.0.1:${server.port}` });
    const connection = createRedisConnection(config, 'worker');
    connection.on('error', () => {});
    const started = Date.now();
    try {
      const error = await waitUntilReady(connection, 10_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisAuthError);
      expect((error as Error).message).toMatch(
        /Redis rejected the credentials \(WRONGPASS\): check REDIS_PASSWORD/,
      );
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      connection.disconnect();
    }
  });

  it('connects with the right password', async () => {
    const connection = createRedisConnection(parse({ REDIS_URL: server.url }), 'admin');
    try {
      expect(await waitUntilReady(connection, 5000)).toBe(true);
      expect(await connection.ping()).toBe('PONG');
    } finally {
      connection.disconnect();
    }
  });

  it('fails producer commands fast while Redis is down, and recovers by itself', async () => {
    const down = await RedisServer.start({ appendonly: false });
    const connection = createRedisConnection(
      parse({ REDIS_URL: down.url, REDIS_COMMAND_TIMEOUT_MS: '500' }),
      'producer',
    );
    connection.on('error', () => {});
    try {
      await waitUntilReady(connection, 5000);
      await connection.set('k', 'v');
      await down.kill();
      const started = Date.now();
      await expect(connection.get('k')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1500);
      await down.restart();
      await expect.poll(() => connection.status, { timeout: 10_000, interval: 50 }).toBe('ready');
      expect(await connection.ping()).toBe('PONG');
    } finally {
      connection.disconnect();
      await down.stop();
    }
  });

  it('keeps a worker connection through a Redis restart: a waiting command completes', async () => {
    const restarting = await RedisServer.start({ appendonly: true });
    const connection = createRedisConnection(parse({ REDIS_URL: restarting.url }), 'worker');
    connection.on('error', () => {});
    try {
      await connection.ping();
      await restarting.kill();
      // Issued while Redis is down: queued, not failed, and answered after the restart.
      const pending = connection.incr('after-restart');
      await restarting.restart();
      await expect(pending).resolves.toBe(1);
    } finally {
      await closeRedisConnection(connection);
      await restarting.stop();
    }
  });
});

describe('topologies are configuration, not code', () => {
  it('runs a BullMQ queue and worker on a 3-master Cluster with the hash-tagged prefix', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    const config = parse({
      REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','),
    });
    expect(config.prefix).toBe('{conveyor}');
    const producer = createRedisConnection(config, 'producer');
    const workerConnection = createRedisConnection(config, 'worker');
    const queue = new Queue('cluster-check', { connection: producer, prefix: config.prefix });
    const worker = new Worker('cluster-check', async (job) => job.data.n * 2, {
      connection: workerConnection,
      prefix: config.prefix,
    });
    try {
      const done = new Promise<unknown>((resolve) =>
        worker.on('completed', (_job, value) => resolve(value)),
      );
      await queue.add('double', { n: 21 });
      await expect(done).resolves.toBe(42);
      // The deferred deadline, not ioredis' own timer on the node connections; copies keep it.
      expect(producer).toBeInstanceOf(DeadlineCluster);
      expect((producer as DeadlineCluster).commandTimeoutMs).toBe(1000);
      expect((producer.options as ClusterOptions).redisOptions?.commandTimeout).toBeUndefined();
      const copy = producer.duplicate();
      expect((copy as DeadlineCluster).commandTimeoutMs).toBe(1000);
      copy.disconnect();
    } finally {
      await worker.close();
      await queue.close();
      await closeRedisConnection(producer);
      await closeRedisConnection(workerConnection);
      await cluster.stop();
    }
  });

  it('gives commands sent straight to a Cluster node the deadline too', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    const connection = createRedisConnection(
      parse({
        REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','),
      }),
      'producer',
    );
    try {
      expect(await waitUntilReady(connection, 10_000)).toBe(true);
      const [master] = (connection as DeadlineCluster).nodes('master');
      if (master === undefined) throw new Error('no master known');
      await expect(master.ping()).resolves.toBe('PONG');
      const paused = cluster.servers.find((server) => server.port === master.options.port);
      if (paused === undefined) throw new Error(`no server on port ${master.options.port}`);
      paused.pause();
      // As checkRedis does: PING and INFO to each master, not through the cluster's routing.
      await expect(master.ping()).rejects.toThrow('Command timed out');
      // A copy given its own redisOptions takes them whole, as ioredis' duplicate() does.
      const copy = connection.duplicate([], { lazyConnect: true, redisOptions: {} });
      expect((copy as DeadlineCluster).commandTimeoutMs).toBeUndefined();
      copy.disconnect();
    } finally {
      for (const server of cluster.servers) server.resume();
      connection.disconnect();
      await cluster.stop();
    }
  });

  it('connects through Sentinel and follows a failover', async () => {
    const sentinel = await startRedisSentinel();
    const config = parse({
      REDIS_SENTINELS: sentinel.sentinels.map((node) => `${node.host}:${node.port}`).join(','),
      REDIS_SENTINEL_MASTER: sentinel.masterName,
    });
    const connection = createRedisConnection(config, 'worker');
    connection.on('error', () => {});
    // The detector can end a reconnecting connection for good (see createRedisConnection).
    expect((connection.options as RedisOptions).failoverDetector).toBe(false);
    try {
      await connection.set('before', '1');
      await connection.wait(1, 2000);
      const before = await sentinel.currentMaster();
      await sentinel.failover();
      const after = await sentinel.currentMaster();
      expect(after.port).not.toBe(before.port);
      await expect(connection.set('after', '2')).resolves.toBe('OK');
      expect(await connection.get('before')).toBe('1');
    } finally {
      connection.disconnect();
      await sentinel.stop();
    }
  });
});

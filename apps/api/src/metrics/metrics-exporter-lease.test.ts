import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MetricsExporterLease } from './metrics-exporter-lease.js';

describe('MetricsExporterLease', () => {
  const config = parseEnvironment(
    { redis: redisEnvSchema },
    { REDIS_URL: inject('redisUrl'), REDIS_COMMAND_TIMEOUT_MS: '500' },
  ).redis;
  const connection = createRedisConnection(config, 'admin');
  beforeAll(() => waitUntilReady(connection, 5000));
  afterAll(() => connection.disconnect());

  const leases = (ttlMs: number) => {
    const prefix = `lease${randomUUID().slice(0, 8)}`;
    const lease = (holderId: string) =>
      new MetricsExporterLease({ connection, prefix, ttlMs, holderId });
    return { key: `${prefix}:metrics:exporter`, first: lease('api-a'), second: lease('api-b') };
  };

  it('goes to one holder, which renews it while the other waits', async () => {
    const { key, first, second } = leases(60_000);
    expect(await first.hold()).toBe(true);
    expect(await second.hold()).toBe(false);
    expect(await connection.get(key)).toBe('api-a');
    await connection.pexpire(key, 5000);
    expect(await first.hold()).toBe(true);
    expect(await connection.pttl(key)).toBeGreaterThan(50_000);
    expect(await second.hold()).toBe(false);
  });

  it('passes to another process once its holder stops renewing it for the ttl', async () => {
    const { first, second } = leases(300);
    expect(await first.hold()).toBe(true);
    const stopped = performance.now();
    await waitFor(() => second.hold(), {
      timeoutMs: 5000,
      intervalMs: 50,
      description: 'the second process to take the lease',
    });
    expect(performance.now() - stopped).toBeGreaterThanOrEqual(250);
    expect(await first.hold()).toBe(false);
  });

  it('passes at once when released, and a release by a non-holder changes nothing', async () => {
    const { key, first, second } = leases(60_000);
    expect(await first.hold()).toBe(true);
    await second.release();
    expect(await connection.get(key)).toBe('api-a');
    await first.release();
    expect(await second.hold()).toBe(true);
  });

  it('answers false when Redis cannot say', async () => {
    const closed = createRedisConnection(config, 'admin');
    closed.disconnect();
    const lease = new MetricsExporterLease({ connection: closed, prefix: 'x', ttlMs: 1000 });
    expect(await lease.hold()).toBe(false);
    expect(lease.holderId).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { parseEnvironment } from './parse-environment.js';
import { redisEnvSchema } from './redis-env.js';

const parse = (env: Record<string, string>) =>
  parseEnvironment({ redis: redisEnvSchema }, env).redis;

function configError(env: Record<string, string>): ConfigError {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('redisEnvSchema', () => {
  it('defaults to a local standalone Redis with the conveyor prefix', () => {
    expect(parse({})).toEqual({
      target: { mode: 'standalone', host: '127.0.0.1', port: 6379, db: 0 },
      prefix: 'conveyor',
      commandTimeoutMs: 1000,
      connectTimeoutMs: 2000,
    });
  });

  it('reads user, password and database from REDIS_URL, and TLS from rediss://', () => {
    const config = parse({ REDIS_URL: 'rediss://app:s%40cret@redis.example:6380/3' });
    expect(config.target).toEqual({ mode: 'standalone', host: 'redis.example', port: 6380, db: 3 });
    expect(config.username).toBe('app');
    expect(config.password).toBe('s@cret');
    expect(config.tls).toEqual({ rejectUnauthorized: true });
  });

  it('names every bad variable in one error', () => {
    const error = configError({
      REDIS_URL: 'http://localhost:6379',
      REDIS_PORT: 'abc',
      REDIS_DB: '99',
      QUEUE_PREFIX: 'bad prefix!',
    });
    const variables = error.issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual(['QUEUE_PREFIX', 'REDIS_DB', 'REDIS_PORT', 'REDIS_URL']);
    expect(error.message).toContain('REDIS_URL: must start with redis:// or rediss://');
    expect(error.message).toContain('REDIS_PORT: must be a whole number');
    expect(error.message).not.toMatch(/\n\s+at /);
  });

  it('requires the master name with Sentinel', () => {
    const error = configError({ REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1:26380' });
    expect(error.issues).toEqual([expect.objectContaining({ variable: 'REDIS_SENTINEL_MASTER' })]);
    const config = parse({
      REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
    });
    expect(config.target).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'mymaster',
      sentinelPassword: 'sentinel-pass',
      db: 0,
    });
  });

  it('hash-tags the queue prefix under Cluster so a queue stays in one slot', () => {
    expect(parse({ REDIS_CLUSTER_NODES: 'a:7000,b:7001' }).prefix).toBe('{conveyor}');
    expect(parse({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: 'jobs' }).prefix).toBe('{jobs}');
    expect(parse({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: '{jobs}' }).prefix).toBe('{jobs}');
    expect(parse({ QUEUE_PREFIX: 'jobs' }).prefix).toBe('jobs');
  });

  it('rejects two topologies at once and a database under Cluster', () => {
    const error = configError({
      REDIS_URL: 'redis://localhost:6379',
      REDIS_CLUSTER_NODES: 'a:7000',
      REDIS_DB: '2',
    });
    expect(error.message).toContain('set only one of REDIS_URL/REDIS_HOST, REDIS_CLUSTER_NODES');
    const database = configError({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_DB: '2' });
    expect(database.issues).toEqual([
      { variable: 'REDIS_DB', message: 'Redis Cluster has only database 0' },
    ]);
  });

  it('reads the replica acknowledgement, off by default', () => {
    expect(parse({ REDIS_MIN_REPLICAS_ACK: '0' }).replicaAck).toBeUndefined();
    expect(parse({ REDIS_MIN_REPLICAS_ACK: '1' }).replicaAck).toEqual({
      replicas: 1,
      timeoutMs: 500,
    });
    expect(
      parse({
        REDIS_SENTINELS: 's:26379',
        REDIS_SENTINEL_MASTER: 'conveyor',
        REDIS_MIN_REPLICAS_ACK: '2',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '250',
      }).replicaAck,
    ).toEqual({ replicas: 2, timeoutMs: 250 });
  });

  it('rejects replica acknowledgement under Cluster and a timeout the command timeout cannot hold', () => {
    const cluster = configError({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_MIN_REPLICAS_ACK: '1' });
    expect(cluster.issues).toEqual([
      {
        variable: 'REDIS_MIN_REPLICAS_ACK',
        message: expect.stringContaining('is not supported with REDIS_CLUSTER_NODES'),
      },
    ]);
    const timeout = configError({
      REDIS_MIN_REPLICAS_ACK: '1',
      REDIS_REPLICA_ACK_TIMEOUT_MS: '600',
    });
    expect(timeout.issues).toEqual([
      {
        variable: 'REDIS_REPLICA_ACK_TIMEOUT_MS',
        message: expect.stringContaining('at most half of REDIS_COMMAND_TIMEOUT_MS (1000)'),
      },
    ]);
    // Off, the timeout is not checked.
    expect(parse({ REDIS_REPLICA_ACK_TIMEOUT_MS: '5000' }).replicaAck).toBeUndefined();
  });

  it('loads TLS files and reports unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const config = parse({ REDIS_HOST: 'redis', REDIS_TLS_CA_FILE: join(dir, 'ca.pem') });
    expect(config.tls).toEqual({ ca: 'CA PEM', rejectUnauthorized: true });
    const error = configError({ REDIS_TLS_CERT_FILE: join(dir, 'missing.pem') });
    expect(error.message).toContain('REDIS_TLS_CERT_FILE: cannot read');
    expect(error.message).toContain('ENOENT');
  });
});

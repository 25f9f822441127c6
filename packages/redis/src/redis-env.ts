import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envFields } from './env-fields.js';
import { resolveQueuePrefix } from './queue-prefix.js';
import type { RedisConfig, RedisNodeAddress, RedisTarget, RedisTlsConfig } from './redis-config.js';

const { optionalString, integer, boolean } = envFields;

function parseNodeList(value: string): RedisNodeAddress[] | string {
  const nodes: RedisNodeAddress[] = [];
  for (const part of value.split(',').map((entry) => entry.trim())) {
    if (part === '') continue;
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(part);
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
      return `expected comma-separated host:port pairs, got ${JSON.stringify(part)}`;
    }
    nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes.length > 0 ? nodes : 'must list at least one host:port';
}

function checkRedisUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL (expected redis://[user:password@]host:port[/db])';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `must start with redis:// or rediss://, got ${url.protocol}//`;
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0 || db > 15) return 'database number in the path must be 0-15';
  return undefined;
}

const withCheck = (check: (value: string) => string | undefined) =>
  optionalString().superRefine((value, ctx) => {
    const problem = value === undefined ? undefined : check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const nodeList = withCheck((value) => {
  const nodes = parseNodeList(value);
  return typeof nodes === 'string' ? nodes : undefined;
});

/**
 * The Redis part of every process's environment. Parses to a {@link RedisConfig}: exactly one of
 * `REDIS_URL` / `REDIS_HOST`, `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` picks the topology.
 */
export const redisEnvSchema = z
  .object({
    REDIS_URL: withCheck(checkRedisUrl),
    REDIS_HOST: optionalString(),
    REDIS_PORT: integer({ default: 6379, min: 1, max: 65535 }),
    REDIS_USERNAME: optionalString(),
    REDIS_PASSWORD: optionalString(),
    REDIS_DB: integer({ default: 0, min: 0, max: 15 }),
    REDIS_TLS: boolean(false),
    REDIS_TLS_CA_FILE: optionalString(),
    REDIS_TLS_CERT_FILE: optionalString(),
    REDIS_TLS_KEY_FILE: optionalString(),
    REDIS_TLS_SERVERNAME: optionalString(),
    REDIS_TLS_REJECT_UNAUTHORIZED: boolean(true),
    REDIS_SENTINELS: nodeList,
    REDIS_SENTINEL_MASTER: optionalString(),
    REDIS_SENTINEL_USERNAME: optionalString(),
    REDIS_SENTINEL_PASSWORD: optionalString(),
    REDIS_CLUSTER_NODES: nodeList,
    QUEUE_PREFIX: withCheck((value) => {
      try {
        resolveQueuePrefix(value, false);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    }),
    REDIS_COMMAND_TIMEOUT_MS: integer({ default: 1000, min: 50, max: 60_000 }),
    REDIS_CONNECT_TIMEOUT_MS: integer({ default: 2000, min: 100, max: 60_000 }),
    REDIS_MIN_REPLICAS_ACK: integer({ default: 0, min: 0, max: 64 }),
    REDIS_REPLICA_ACK_TIMEOUT_MS: integer({ default: 500, min: 1, max: 60_000 }),
  })
  .transform((env, ctx): RedisConfig => {
    const fail = (variable: string, message: string) => {
      ctx.issues.push({ code: 'custom', path: [variable], message, input: env });
    };
    const topologies = [
      env.REDIS_URL || env.REDIS_HOST ? 'REDIS_URL/REDIS_HOST' : undefined,
      env.REDIS_SENTINELS ? 'REDIS_SENTINELS' : undefined,
      env.REDIS_CLUSTER_NODES ? 'REDIS_CLUSTER_NODES' : undefined,
    ].filter(Boolean);
    if (topologies.length > 1) {
      fail(
        topologies[1] ?? 'REDIS_URL',
        `set only one of ${topologies.join(', ')}: they choose different topologies`,
      );
    }
    if (env.REDIS_URL && env.REDIS_HOST) {
      fail('REDIS_HOST', 'set either REDIS_URL or REDIS_HOST, not both');
    }

    let username = env.REDIS_USERNAME;
    let password = env.REDIS_PASSWORD;
    let useTls = env.REDIS_TLS;
    let target: RedisTarget = {
      mode: 'standalone',
      host: env.REDIS_HOST ?? '127.0.0.1',
      port: env.REDIS_PORT,
      db: env.REDIS_DB,
    };

    if (env.REDIS_URL) {
      const url = new URL(env.REDIS_URL);
      target = {
        mode: 'standalone',
        host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
        port: url.port ? Number(url.port) : 6379,
        db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : env.REDIS_DB,
      };
      if (url.username) username = decodeURIComponent(url.username);
      if (url.password) password = decodeURIComponent(url.password);
      if (url.protocol === 'rediss:') useTls = true;
    } else if (env.REDIS_SENTINELS) {
      const sentinels = parseNodeList(env.REDIS_SENTINELS);
      if (!env.REDIS_SENTINEL_MASTER) {
        fail(
          'REDIS_SENTINEL_MASTER',
          'is required with REDIS_SENTINELS (the monitored master name)',
        );
      }
      target = {
        mode: 'sentinel',
        sentinels: typeof sentinels === 'string' ? [] : sentinels,
        masterName: env.REDIS_SENTINEL_MASTER ?? '',
        db: env.REDIS_DB,
        ...(env.REDIS_SENTINEL_USERNAME ? { sentinelUsername: env.REDIS_SENTINEL_USERNAME } : {}),
        ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      };
    } else if (env.REDIS_CLUSTER_NODES) {
      const nodes = parseNodeList(env.REDIS_CLUSTER_NODES);
      if (env.REDIS_DB !== 0) fail('REDIS_DB', 'Redis Cluster has only database 0');
      target = { mode: 'cluster', nodes: typeof nodes === 'string' ? [] : nodes };
    }

    const prefix = resolveQueuePrefix(env.QUEUE_PREFIX ?? 'conveyor', target.mode === 'cluster');

    if (env.REDIS_MIN_REPLICAS_ACK > 0) {
      if (target.mode === 'cluster') {
        fail(
          'REDIS_MIN_REPLICAS_ACK',
          'is not supported with REDIS_CLUSTER_NODES: WAIT must run on the node connection that carried the write, which the Cluster client routes internally; set it to 0 (min-replicas-to-write on the nodes is the alternative)',
        );
      }
      // WAIT blocks its connection: it and the commands queued behind it must fit the timeout.
      if (env.REDIS_REPLICA_ACK_TIMEOUT_MS * 2 > env.REDIS_COMMAND_TIMEOUT_MS) {
        fail(
          'REDIS_REPLICA_ACK_TIMEOUT_MS',
          `must be at most half of REDIS_COMMAND_TIMEOUT_MS (${env.REDIS_COMMAND_TIMEOUT_MS}): a command can wait behind a WAIT that long and must still run within the command timeout`,
        );
      }
    }

    const readPem = (variable: string, file: string | undefined): string | undefined => {
      if (!file) return undefined;
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        fail(variable, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
        return undefined;
      }
    };
    const ca = readPem('REDIS_TLS_CA_FILE', env.REDIS_TLS_CA_FILE);
    const cert = readPem('REDIS_TLS_CERT_FILE', env.REDIS_TLS_CERT_FILE);
    const key = readPem('REDIS_TLS_KEY_FILE', env.REDIS_TLS_KEY_FILE);
    if (Boolean(cert) !== Boolean(key) && (env.REDIS_TLS_CERT_FILE || env.REDIS_TLS_KEY_FILE)) {
      fail('REDIS_TLS_KEY_FILE', 'a client certificate and key must be given together');
    }
    const tlsWanted = useTls || Boolean(ca || cert || key);
    const tls: RedisTlsConfig | undefined = tlsWanted
      ? {
          rejectUnauthorized: env.REDIS_TLS_REJECT_UNAUTHORIZED,
          ...(ca ? { ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          ...(env.REDIS_TLS_SERVERNAME ? { servername: env.REDIS_TLS_SERVERNAME } : {}),
        }
      : undefined;

    return {
      target,
      prefix,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
      ...(env.REDIS_MIN_REPLICAS_ACK > 0
        ? {
            replicaAck: {
              replicas: env.REDIS_MIN_REPLICAS_ACK,
              timeoutMs: env.REDIS_REPLICA_ACK_TIMEOUT_MS,
            },
          }
        : {}),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
    };
  });

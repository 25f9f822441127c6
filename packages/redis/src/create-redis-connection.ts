import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesce-writes.js';
import { type ConnectionRole, isBlockingRole } from './connection-role.js';
import { DeadlineCluster } from './deadline-cluster.js';
import { DeadlineRedis } from './deadline-redis.js';
import { reconnectDelay } from './reconnect-delay.js';
import type { RedisConfig } from './redis-config.js';

/** A connection as the rest of Conveyor uses it: one server (direct or via Sentinel) or a Cluster. */
export type RedisConnection = Redis | Cluster;

/** Options for {@link createRedisConnection}. */
export interface CreateRedisConnectionOptions {
  /**
   * Shown in `CLIENT LIST` to tell processes apart, e.g. `conveyor:api:producer`.
   * @defaultValue `conveyor:<role>`
   */
  connectionName?: string;
  /**
   * Start connecting only on the first command or `connect()`.
   * @defaultValue false
   */
  lazyConnect?: boolean;
}

/** Reconnect backoff cap per role: fail-fast roles come back quickly, blocking roles spread out. */
const BACKOFF_CAP_MS: Record<ConnectionRole, number> = {
  producer: 1000,
  admin: 1000,
  worker: 5000,
  'queue-events': 5000,
};

function roleOptions(config: RedisConfig, role: ConnectionRole): RedisOptions {
  if (isBlockingRole(role)) {
    // BullMQ requires null here: a blocking command must never be abandoned after N retries.
    return { maxRetriesPerRequest: null, enableOfflineQueue: true };
  }
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Armed by DeadlineRedis/DeadlineCluster as a deferred deadline, not by ioredis.
    commandTimeout: config.commandTimeoutMs,
    // A command lost with the connection is failed, not replayed later: the HTTP request that
    // sent it has already answered 503, and a late write would surprise the client that retries.
    autoResendUnfulfilledCommands: false,
    // Not ioredis auto-pipelining (see coalesceWrites): it holds each batch until the previous one
    // is answered, which doubled enqueue latency in `pnpm bench`.
  };
}

function nodeOptions(config: RedisConfig, role: ConnectionRole, name: string): RedisOptions {
  return {
    ...roleOptions(config, role),
    connectionName: name,
    connectTimeout: config.connectTimeoutMs,
    keepAlive: 10_000,
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: { ...config.tls } } : {}),
  };
}

/**
 * Creates the ioredis connection for one role from a validated {@link RedisConfig}. This is the
 * only place in Conveyor that constructs ioredis clients, so every process connects the same way
 * to standalone Redis, Sentinel or Cluster. Never sets an ioredis key prefix (BullMQ does not support it;
 * namespacing is BullMQ's `prefix`).
 */
export function createRedisConnection(
  config: RedisConfig,
  role: ConnectionRole,
  options: CreateRedisConnectionOptions = {},
): RedisConnection {
  const name = options.connectionName ?? `conveyor:${role}`;
  const retry = (attempt: number) => reconnectDelay(attempt, { capMs: BACKOFF_CAP_MS[role] });
  const base = nodeOptions(config, role, name);
  const lazyConnect = options.lazyConnect ?? false;
  const connection = connect(config, base, lazyConnect, retry);
  // Not for workers: holding a worker's writes to the end of the loop turn delays each job's
  // completion and the fetch of the next, which halved worker throughput in `pnpm bench`.
  if (!isBlockingRole(role)) coalesceWrites(connection);
  return connection;
}

function connect(
  config: RedisConfig,
  base: RedisOptions,
  lazyConnect: boolean,
  retry: (attempt: number) => number,
): RedisConnection {
  const { target } = config;
  switch (target.mode) {
    case 'standalone':
      return new DeadlineRedis({
        ...base,
        host: target.host,
        port: target.port,
        db: target.db,
        lazyConnect,
        retryStrategy: retry,
      });
    case 'sentinel':
      return new DeadlineRedis({
        ...base,
        sentinels: target.sentinels,
        name: target.masterName,
        role: 'master',
        db: target.db,
        lazyConnect,
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
        // Not ioredis' failover detector: its `+switch-master` handler can disconnect the
        // connector while a reconnect is asking the sentinels for the master, and ioredis then
        // ends the connection for good ("Connection is closed.", seen once in CI; a worker would
        // stop fetching). Redis closes every client connection on a failover anyway.
        failoverDetector: false,
        enableTLSForSentinelMode: Boolean(config.tls),
        ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
      });
    case 'cluster': {
      const { enableOfflineQueue, ...redisOptions } = base;
      const clusterOptions: ClusterOptions = {
        redisOptions,
        enableOfflineQueue: enableOfflineQueue ?? true,
        lazyConnect,
        clusterRetryStrategy: retry,
        // Slots move during resharding and failover; follow redirections instead of failing.
        maxRedirections: 16,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        ...(config.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
      };
      return new DeadlineCluster(target.nodes, clusterOptions);
    }
  }
}

/** Closes a connection, waiting for pending replies when it can and cutting it otherwise. */
export async function closeRedisConnection(connection: RedisConnection): Promise<void> {
  if (connection.status === 'end') return;
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

import type { RedisClusterHandle, RedisSentinelHandle, RedisServer } from '@conveyor/testing';

/** How the apps and the suite's own probes reach Redis; each maps to the apps' environment. */
export type RedisTopology =
  | { mode: 'standalone'; host: string; port: number; username?: string; password?: string }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; password?: string }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      password?: string;
    };

export function standalone(
  server: RedisServer,
  credentials: { username?: string; password?: string } = {},
): RedisTopology {
  const password = credentials.password ?? server.password;
  return {
    mode: 'standalone',
    host: server.host,
    port: server.port,
    ...(credentials.username ? { username: credentials.username } : {}),
    ...(password ? { password } : {}),
  };
}

export function cluster(handle: RedisClusterHandle): RedisTopology {
  return {
    mode: 'cluster',
    nodes: handle.nodes,
    ...(handle.password ? { password: handle.password } : {}),
  };
}

export function sentinel(handle: RedisSentinelHandle): RedisTopology {
  return {
    mode: 'sentinel',
    sentinels: handle.sentinels,
    masterName: handle.masterName,
    ...(handle.password ? { password: handle.password } : {}),
  };
}

const hostPorts = (nodes: { host: string; port: number }[]) =>
  nodes.map((node) => `${node.host}:${node.port}`).join(',');

/** The `REDIS_*` variables that point an app at `topology`: configuration, never code. */
export function redisEnv(topology: RedisTopology): Record<string, string> {
  switch (topology.mode) {
    case 'standalone': {
      const user = topology.username ? encodeURIComponent(topology.username) : '';
      const auth = topology.password ? `${user}:${encodeURIComponent(topology.password)}@` : '';
      return { REDIS_URL: `redis://${auth}${topology.host}:${topology.port}` };
    }
    case 'cluster':
      return {
        REDIS_CLUSTER_NODES: hostPorts(topology.nodes),
        ...(topology.password ? { REDIS_PASSWORD: topology.password } : {}),
      };
    case 'sentinel':
      return {
        REDIS_SENTINELS: hostPorts(topology.sentinels),
        REDIS_SENTINEL_MASTER: topology.masterName,
        ...(topology.password ? { REDIS_PASSWORD: topology.password } : {}),
      };
  }
}

/** BullMQ's key prefix for `topology`, as the apps resolve it (a hash tag under Cluster). */
export function queuePrefix(topology: RedisTopology): string {
  return topology.mode === 'cluster' ? '{conveyor}' : 'conveyor';
}

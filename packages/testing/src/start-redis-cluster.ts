import { findRedisBinary } from './find-redis-binary.js';
import { getFreePort } from './get-free-port.js';
import { RedisServer } from './redis-server.js';
import { spawnProcess } from './spawn-process.js';
import { waitFor } from './wait-for.js';
import { withRedisClient } from './with-redis-client.js';

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /**
   * Number of masters, each owning an equal share of the 16384 slots; no replicas. Fewer than 3
   * (which `redis-cli --cluster create` refuses) are assigned their slots directly.
   * @defaultValue 3
   */
  masters?: number;
  /**
   * Password of every node (`requirepass` and `masterauth`).
   * @defaultValue no password
   */
  password?: string;
  /**
   * How long the cluster may take to report `cluster_state:ok` once created.
   * @defaultValue 20_000
   */
  readyTimeoutMs?: number;
}

/** A running cluster; see {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** Seed addresses for a cluster client, one per master. */
  nodes: { host: string; port: number }[];
  servers: RedisServer[];
  password: string | undefined;
  /** Stops every node and removes their folders. */
  stop(): Promise<void>;
}

export const CLUSTER_SLOTS = 16384;

/**
 * Starts a Redis Cluster of `masters` nodes on 127.0.0.1 and resolves once every node reports
 * `cluster_state:ok`.
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1) {
    throw new RangeError(`masters must be a positive integer, got ${masters}`);
  }
  const { password } = options;
  const starts = Array.from({ length: masters }, () => startClusterNode(password));
  const settled = await Promise.allSettled(starts);
  const servers = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    if (masters >= 3) await createWithRedisCli(servers, password);
    else await assignSlotsDirectly(servers, password);
    await Promise.all(
      servers.map((server) =>
        waitFor(
          () =>
            withRedisClient(server, async (client) =>
              (await client.cluster('INFO')).includes('cluster_state:ok'),
            ),
          {
            description: `cluster_state:ok on port ${server.port}`,
            timeoutMs: options.readyTimeoutMs ?? 20_000,
            intervalMs: 100,
          },
        ),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: server.host, port: server.port })),
    servers,
    password,
    stop,
  };
}

async function startClusterNode(password: string | undefined): Promise<RedisServer> {
  // The bus defaults to port + 10000, which can fall outside the port range or be taken.
  const busPort = await getFreePort();
  return RedisServer.start({
    password,
    masterAuth: password,
    appendonly: true,
    extraArgs: [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '2000',
      '--cluster-port',
      String(busPort),
    ],
  });
}

async function createWithRedisCli(
  servers: RedisServer[],
  password: string | undefined,
): Promise<void> {
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
  const addresses = servers.map((server) => `${server.host}:${server.port}`);
  const cli = spawnProcess(
    findRedisBinary('redis-cli'),
    [...auth, '--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
    { name: 'redis-cli --cluster create' },
  );
  const timer = setTimeout(() => cli.kill('SIGKILL'), 30_000);
  const { code, signal } = await cli.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(
      `redis-cli --cluster create failed (${signal ?? `code ${code}`}):\n${cli.output()}`,
    );
  }
}

/** What `redis-cli --cluster create` does, for the sizes it refuses. */
async function assignSlotsDirectly(
  servers: RedisServer[],
  password: string | undefined,
): Promise<void> {
  const first = servers[0]!;
  await Promise.all(
    servers.map((server, index) => {
      const start = Math.floor((index * CLUSTER_SLOTS) / servers.length);
      const end = Math.floor(((index + 1) * CLUSTER_SLOTS) / servers.length) - 1;
      return withRedisClient({ host: server.host, port: server.port, password }, async (client) => {
        await client.call('CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
        if (server !== first) await client.cluster('MEET', first.host, first.port);
      });
    }),
  );
}

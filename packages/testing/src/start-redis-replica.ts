import { RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';
import { withRedisClient } from './with-redis-client.js';

/** Options for {@link startRedisReplica}. */
export interface RedisReplicaOptions {
  /**
   * Password of the replica and of its master (`requirepass` and `masterauth`).
   * @defaultValue the master's password
   */
  password?: string;
  /**
   * More `--name value` arguments for the replica.
   * @defaultValue []
   */
  extraArgs?: string[];
  /**
   * How long the replica may take to sync with its master.
   * @defaultValue 20_000
   */
  readyTimeoutMs?: number;
}

/** Redis 7 waits 5 s for more replicas before a diskless full sync; a test starts them one by one. */
export const SYNC_NOW = ['--repl-diskless-sync-delay', '0'];

/** Resolves once `replica` reports its link to its master up. */
export async function waitForReplicaSync(replica: RedisServer, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () =>
      withRedisClient(replica, async (client) =>
        (await client.info('replication')).includes('master_link_status:up'),
      ),
    { description: `replica ${replica.port} to sync with its master`, timeoutMs },
  );
}

/**
 * Starts a redis-server replicating `master` (give the master {@link SYNC_NOW} so it syncs at
 * once) and resolves once both ends see it in sync: the replica's link up and the master listing
 * it `online` (what `WAIT` and `INFO` count). The caller stops it.
 */
export async function startRedisReplica(
  master: RedisServer,
  options: RedisReplicaOptions = {},
): Promise<RedisServer> {
  const password = options.password ?? master.password;
  const replica = await RedisServer.start({
    password,
    masterAuth: password,
    replicaOf: { host: master.host, port: master.port },
    extraArgs: [...SYNC_NOW, ...(options.extraArgs ?? [])],
  });
  try {
    await waitForReplicaSync(replica, options.readyTimeoutMs);
    await waitFor(
      () =>
        withRedisClient(master, async (client) =>
          (await client.info('replication')).includes(`port=${replica.port},state=online`),
        ),
      {
        description: `master ${master.port} to list replica ${replica.port} online`,
        timeoutMs: options.readyTimeoutMs ?? 20_000,
      },
    );
  } catch (error) {
    await replica.stop();
    throw error;
  }
  return replica;
}

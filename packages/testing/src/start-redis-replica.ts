import type { Redis } from 'ioredis';
import { tailLines } from './output-buffer.js';
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

/** A key the sync check writes to (the replication stream only moves with writes). */
const SYNC_KEY = 'conveyor-testing:replica-sync';

/**
 * True once the master has the replica on `port` acknowledging a write made now. `state=online`
 * alone is not enough: after a full sync the master streams writes only from the replica's
 * first acknowledgement, up to a second later, and `WAIT` counts none of them until then.
 */
export async function acknowledgesWrites(master: Redis, port: number): Promise<boolean> {
  await master.incr(SYNC_KEY);
  const written = Number(/master_repl_offset:(\d+)/.exec(await master.info('replication'))?.[1]);
  // Asks the replicas for their offsets instead of waiting for their once-a-second report.
  await master.wait(1, 100);
  const info = await master.info('replication');
  const acknowledged = new RegExp(`port=${port},state=online,offset=(\\d+)`).exec(info)?.[1];
  return acknowledged !== undefined && Number(acknowledged) >= written;
}

/**
 * Resolves once `replica` is in sync with `master` as both see it: its link up, and the master
 * counting it for `WAIT` (it acknowledged a write made meanwhile).
 */
export async function waitForReplicaSync(
  master: RedisServer,
  replica: RedisServer,
  timeoutMs = 20_000,
): Promise<void> {
  try {
    await waitFor(
      () =>
        withRedisClient(replica, async (client) =>
          (await client.info('replication')).includes('master_link_status:up'),
        ),
      { description: `replica ${replica.port} to sync with master ${master.port}`, timeoutMs },
    );
    await waitFor(
      () => withRedisClient(master, (client) => acknowledgesWrites(client, replica.port)),
      {
        description: `master ${master.port} to count replica ${replica.port} for WAIT`,
        timeoutMs,
      },
    );
  } catch (error) {
    // Why a sync did not happen is in the two servers' logs, not in the probe's last error.
    const logs = [master, replica].map(
      (server) => `redis-server ${server.port}:\n${tailLines(server.logs(), 15)}`,
    );
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error });
  }
}

/**
 * Starts a redis-server replicating `master` (give the master {@link SYNC_NOW} so it syncs at
 * once) and resolves once both ends see it in sync ({@link waitForReplicaSync}). It writes one key
 * of its own (`conveyor-testing:replica-sync`) on the master. The caller stops it.
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
    await waitForReplicaSync(master, replica, options.readyTimeoutMs);
  } catch (error) {
    await replica.stop();
    throw error;
  }
  return replica;
}

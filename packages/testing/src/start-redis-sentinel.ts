import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir } from './create-temp-dir.js';
import { findRedisBinary } from './find-redis-binary.js';
import { getFreePort } from './get-free-port.js';
import { tailLines } from './output-buffer.js';
import { RedisServer } from './redis-server.js';
import { type ChildHandle, spawnProcess } from './spawn-process.js';
import { acknowledgesWrites, SYNC_NOW, startRedisReplica } from './start-redis-replica.js';
import { waitFor } from './wait-for.js';
import { type RedisAddress, withRedisClient } from './with-redis-client.js';

/** Options for {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /**
   * Name the sentinels monitor the master under.
   * @defaultValue 'conveyor'
   */
  masterName?: string;
  /**
   * Number of redis-sentinel processes. The quorum is 2, or 1 for a single sentinel.
   * @defaultValue 3
   */
  sentinels?: number;
  /**
   * Password of the master and the replica; the sentinels themselves need none.
   * @defaultValue no password
   */
  password?: string;
  /**
   * How long the replica and the sentinels may take to find each other.
   * @defaultValue 20_000
   */
  readyTimeoutMs?: number;
}

/** A running master, replica and sentinels; see {@link startRedisSentinel}. */
export interface RedisSentinelHandle {
  masterName: string;
  /** The master at start; after {@link failover} it is dead and `replica` is the master. */
  master: RedisServer;
  replica: RedisServer;
  sentinels: { host: string; port: number }[];
  password: string | undefined;
  /** The master address according to the first sentinel that answers. */
  currentMaster(): Promise<{ host: string; port: number }>;
  /**
   * SIGKILLs the current master and resolves once every sentinel names the other node and it
   * answers ROLE as master (30 s at most).
   */
  failover(): Promise<void>;
  /**
   * Resolves once the master the sentinels name has the other server as a replica that
   * acknowledges writes, whichever server is master by then: sentinels may fail over again
   * while a replica rejoins (on a loaded machine they did, promoting a restarted old master
   * back). The timeout's error quotes the sentinels' role changes.
   */
  waitForReplica(timeoutMs?: number): Promise<void>;
  /**
   * Master switches the sentinels made so far, as the first sentinel logged them
   * (`+switch-master`).
   */
  switches(): number;
  /**
   * What every server and sentinel printed, each under a header: who failed over to whom and
   * why is only in the sentinels' logs.
   */
  logs(): string;
  /** Stops every process and removes their folders. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const FAILOVER_TIMEOUT_MS = 30_000;

/**
 * Starts a Sentinel deployment on 127.0.0.1: a master, one replica and `sentinels` sentinels,
 * resolving once the replica is in sync and every sentinel knows the replica and its peers.
 */
export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<RedisSentinelHandle> {
  const masterName = options.masterName ?? 'conveyor';
  const count = options.sentinels ?? 3;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`sentinels must be a positive integer, got ${count}`);
  }
  const { password } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const servers: RedisServer[] = [];
  const sentinels: SentinelProcess[] = [];
  const stop = async () => {
    await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
    await Promise.all(servers.map((server) => server.stop()));
  };

  try {
    const master = await RedisServer.start({ password, masterAuth: password, extraArgs: SYNC_NOW });
    servers.push(master);
    const replica = await startRedisReplica(master, { password, readyTimeoutMs });
    servers.push(replica);

    const config = {
      masterName,
      masterPort: master.port,
      quorum: count === 1 ? 1 : 2,
      password,
    };
    for (let index = 0; index < count; index++) {
      sentinels.push(await SentinelProcess.start(config));
    }
    await Promise.all(
      sentinels.map((sentinel) => waitUntilDiscovered(sentinel, masterName, count, readyTimeoutMs)),
    );

    const addresses = sentinels.map((sentinel) => ({ host: HOST, port: sentinel.port }));
    const currentMaster = () => askCurrentMaster(addresses, masterName);
    return {
      masterName,
      master,
      replica,
      sentinels: addresses,
      password,
      currentMaster,
      failover: () => failover(addresses, masterName, [master, replica]),
      waitForReplica: (timeoutMs = 20_000) =>
        waitForReplica(currentMaster, [master, replica], sentinels, timeoutMs),
      switches: () => sentinels[0]?.logs().match(/\+switch-master /g)?.length ?? 0,
      logs: () =>
        [
          ...servers.map((server) => `=== redis-server ${server.port}\n${server.logs()}`),
          ...sentinels.map((sentinel) => `=== redis-sentinel ${sentinel.port}\n${sentinel.logs()}`),
        ].join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface SentinelConfig {
  masterName: string;
  masterPort: number;
  quorum: number;
  password: string | undefined;
}

/** One redis-sentinel process with its own config file, which it rewrites as it learns. */
class SentinelProcess {
  readonly port: number;
  readonly #dir: TempDir;
  readonly #process: ChildHandle;
  #stopping: Promise<void> | undefined;

  private constructor(port: number, dir: TempDir, child: ChildHandle) {
    this.port = port;
    this.#dir = dir;
    this.#process = child;
  }

  static async start(config: SentinelConfig): Promise<SentinelProcess> {
    const binary = findRedisBinary('redis-sentinel');
    const dir = await createTempDir('conveyor-sentinel-');
    let child: ChildHandle;
    let port: number;
    try {
      port = await getFreePort();
      const file = join(dir.path, 'sentinel.conf');
      await writeFile(file, sentinelConf(port, dir.path, config));
      child = spawnProcess(binary, [file], { name: `redis-sentinel:${port}`, cwd: dir.path });
    } catch (error) {
      await dir.remove();
      throw error;
    }
    const sentinel = new SentinelProcess(port, dir, child);
    try {
      const gaveUp = new AbortController();
      void child.exited.then(() =>
        gaveUp.abort(
          new Error(`redis-sentinel on port ${port} exited:\n${tailLines(child.output())}`),
        ),
      );
      await waitFor(
        () =>
          withRedisClient({ host: HOST, port }, async (client) => (await client.ping()) === 'PONG'),
        { description: `redis-sentinel on port ${port} to answer PING`, signal: gaveUp.signal },
      );
    } catch (error) {
      await sentinel.stop();
      throw error;
    }
    return sentinel;
  }

  /** Everything this sentinel printed. */
  logs(): string {
    return this.#process.output();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#process.stop(5000);
      await this.#dir.remove();
    })();
    return this.#stopping;
  }
}

function sentinelConf(port: number, dir: string, config: SentinelConfig): string {
  const { masterName: name } = config;
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    'protected-mode no',
    'daemonize no',
    `dir ${dir}`,
    'logfile ""',
    'sentinel resolve-hostnames no',
    `sentinel monitor ${name} ${HOST} ${config.masterPort} ${config.quorum}`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 5000`,
  ];
  if (config.password !== undefined) lines.push(`sentinel auth-pass ${name} ${config.password}`);
  return `${lines.join('\n')}\n`;
}

async function waitUntilDiscovered(
  sentinel: SentinelProcess,
  masterName: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    () =>
      withRedisClient({ host: HOST, port: sentinel.port }, async (client) => {
        const replicas = (await client.call('SENTINEL', 'REPLICAS', masterName)) as unknown[];
        const peers = (await client.call('SENTINEL', 'SENTINELS', masterName)) as unknown[];
        return replicas.length > 0 && peers.length === count - 1;
      }),
    {
      description: `sentinel ${sentinel.port} to know the replica and ${count - 1} other sentinels`,
      timeoutMs,
      intervalMs: 100,
    },
  );
}

async function masterAddress(sentinel: RedisAddress, masterName: string): Promise<RedisAddress> {
  return withRedisClient(sentinel, async (client) => {
    const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as
      | [string, string]
      | null;
    if (reply === null) throw new Error(`sentinel ${sentinel.port} does not know ${masterName}`);
    return { host: reply[0], port: Number(reply[1]) };
  });
}

async function askCurrentMaster(
  sentinels: RedisAddress[],
  masterName: string,
): Promise<{ host: string; port: number }> {
  const errors: string[] = [];
  for (const sentinel of sentinels) {
    try {
      return await masterAddress(sentinel, masterName);
    } catch (error) {
      errors.push(`${sentinel.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no sentinel answered for ${masterName}: ${errors.join('; ')}`);
}

/** Sentinel log lines that say who was judged down and who became master. */
const ROLE_EVENTS = /[+-](sdown|odown|switch-master|failover-end|tilt|convert-to-slave)\b/;

async function waitForReplica(
  currentMaster: () => Promise<RedisAddress>,
  servers: RedisServer[],
  sentinels: SentinelProcess[],
  timeoutMs: number,
): Promise<void> {
  try {
    await waitFor(
      async () => {
        const { port } = await currentMaster();
        const master = servers.find((server) => server.port === port);
        const replica = servers.find((server) => server.port !== port && server.running);
        if (master === undefined || replica === undefined) return false;
        return withRedisClient(master, (client) => acknowledgesWrites(client, replica.port));
      },
      {
        description: 'the master the sentinels name to count the other server for WAIT',
        timeoutMs,
      },
    );
  } catch (error) {
    const events = sentinels.map((sentinel) => {
      const lines = sentinel
        .logs()
        .split('\n')
        .filter((line) => ROLE_EVENTS.test(line));
      return `redis-sentinel ${sentinel.port}:\n${lines.slice(-12).join('\n')}`;
    });
    throw new Error(`${(error as Error).message}\n${events.join('\n')}`, { cause: error });
  }
}

async function failover(
  sentinels: RedisAddress[],
  masterName: string,
  servers: RedisServer[],
): Promise<void> {
  const old = await askCurrentMaster(sentinels, masterName);
  const victim = servers.find((server) => server.port === old.port);
  const survivor = servers.find((server) => server.port !== old.port && server.running);
  if (victim === undefined || survivor === undefined) {
    throw new Error(`no running replica left to fail over to from ${old.host}:${old.port}`);
  }
  await victim.kill('SIGKILL');
  await waitFor(
    async () => {
      for (const sentinel of sentinels) {
        const address = await masterAddress(sentinel, masterName);
        if (address.port !== survivor.port) return false;
      }
      const role = await withRedisClient(survivor, (client) => client.role());
      return role[0] === 'master';
    },
    {
      description: `sentinels to promote ${survivor.host}:${survivor.port} to master of ${masterName}`,
      timeoutMs: FAILOVER_TIMEOUT_MS,
      intervalMs: 100,
    },
  );
}

import type { Redis } from 'ioredis';
import type { RedisConnection } from './create-redis-connection.js';
import { isVersionAtLeast, parseInfo } from './parse-info.js';
import { withTimeout } from './with-timeout.js';

/** BullMQ's minimum supported Redis version. */
export const MIN_REDIS_VERSION = '6.2.0';
/** The only eviction policy that cannot silently delete job keys. */
export const REQUIRED_MAXMEMORY_POLICY = 'noeviction';

/** What {@link checkRedis} found on one server. */
export interface RedisNodeHealth {
  /** `host:port` of the server. */
  address: string;
  latencyMs: number;
  version: string;
  maxmemoryPolicy: string;
  usedMemoryBytes: number;
  /** 0 means no limit. */
  maxmemoryBytes: number;
  aofEnabled: boolean;
  /** Replicas connected and in sync (`INFO replication`, `state=online`). */
  connectedReplicas: number;
}

/** The structured answer every `/readyz` serves. */
export interface RedisHealthReport {
  /** Reachable and safe to store jobs in. */
  ready: boolean;
  reachable: boolean;
  /** Worst round trip of a PING over the checked servers. */
  latencyMs?: number;
  nodes: RedisNodeHealth[];
  /** Why it is not ready, one sentence each. Empty when ready. */
  problems: string[];
  /** Things an operator should fix that do not stop work. */
  warnings: string[];
}

/** Options for {@link checkRedis}. */
export interface CheckRedisOptions {
  /**
   * Upper bound for the whole check, so a frozen Redis cannot hang a readiness probe.
   * @defaultValue 1500
   */
  timeoutMs?: number;
  /**
   * Memory use, as a share of `maxmemory`, from which a warning is raised.
   * @defaultValue 0.9
   */
  memoryWarningRatio?: number;
  /**
   * Replicas each checked server must have online; fewer is a problem (writes that must be
   * confirmed by that many replicas would fail).
   * @defaultValue 0
   */
  minReplicas?: number;
}

/** Replicas in sync: `slaveN:ip=...,state=online,...` lines (`connected_slaves` counts syncing ones). */
function onlineReplicas(info: Map<string, string>): number {
  let online = 0;
  for (const [key, value] of info) {
    if (/^slave\d+$/.test(key) && value.split(',').includes('state=online')) online++;
  }
  return online;
}

async function checkNode(
  client: Redis,
  problems: string[],
  warnings: string[],
  options: Required<Pick<CheckRedisOptions, 'memoryWarningRatio' | 'minReplicas'>>,
): Promise<RedisNodeHealth> {
  const { memoryWarningRatio, minReplicas } = options;
  const address = `${client.options.host ?? '?'}:${client.options.port ?? '?'}`;
  const started = performance.now();
  await client.ping();
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  // Read everything from INFO: managed Redis services often disable CONFIG.
  const info = parseInfo(await client.info());
  const health: RedisNodeHealth = {
    address,
    latencyMs,
    version: info.get('redis_version') ?? 'unknown',
    maxmemoryPolicy: info.get('maxmemory_policy') ?? 'unknown',
    usedMemoryBytes: Number(info.get('used_memory') ?? 0),
    maxmemoryBytes: Number(info.get('maxmemory') ?? 0),
    aofEnabled: info.get('aof_enabled') === '1',
    connectedReplicas: onlineReplicas(info),
  };
  if (health.connectedReplicas < minReplicas) {
    problems.push(
      `${health.connectedReplicas} replica(s) online at ${address}, ${minReplicas} required to confirm each enqueue: enqueues fail until enough replicas are back`,
    );
  }
  if (!isVersionAtLeast(health.version, MIN_REDIS_VERSION)) {
    problems.push(
      `Redis ${health.version} at ${address} is too old: Conveyor (BullMQ) needs ${MIN_REDIS_VERSION} or newer`,
    );
  }
  if (health.maxmemoryPolicy !== REQUIRED_MAXMEMORY_POLICY) {
    problems.push(
      `maxmemory-policy is ${health.maxmemoryPolicy} at ${address}: it must be ${REQUIRED_MAXMEMORY_POLICY}, any evicting policy silently deletes job keys`,
    );
  }
  if (health.maxmemoryBytes > 0) {
    const ratio = health.usedMemoryBytes / health.maxmemoryBytes;
    if (ratio >= memoryWarningRatio) {
      warnings.push(
        `memory at ${address} is ${Math.round(ratio * 100)}% of maxmemory: enqueues fail with OOM when it is full`,
      );
    }
  } else {
    warnings.push(`maxmemory is not set at ${address}: Redis can grow until the host runs out`);
  }
  if (!health.aofEnabled) {
    warnings.push(`AOF is off at ${address}: acknowledged jobs can be lost if Redis crashes`);
  }
  return health;
}

/**
 * Checks that Redis is reachable and safe for a job queue: PING latency, version at least 6.2,
 * `maxmemory-policy noeviction` (read from `INFO`, not `CONFIG`), memory use against `maxmemory`,
 * AOF, and at least `minReplicas` replicas online. Under Cluster every master is checked. Never
 * throws and never takes longer than `timeoutMs`.
 */
export async function checkRedis(
  connection: RedisConnection,
  options: CheckRedisOptions = {},
): Promise<RedisHealthReport> {
  const { timeoutMs = 1500, memoryWarningRatio = 0.9, minReplicas = 0 } = options;
  const problems: string[] = [];
  const warnings: string[] = [];
  try {
    const clients: Redis[] = 'nodes' in connection ? connection.nodes('master') : [connection];
    if (clients.length === 0) throw new Error('no Redis Cluster master is known yet');
    const nodes = await withTimeout(
      Promise.all(
        clients.map((client) =>
          checkNode(client, problems, warnings, { memoryWarningRatio, minReplicas }),
        ),
      ),
      timeoutMs,
      () => new Error(`Redis did not answer within ${timeoutMs} ms`),
    );
    return {
      ready: problems.length === 0,
      reachable: true,
      latencyMs: Math.max(...nodes.map((node) => node.latencyMs)),
      nodes,
      problems,
      warnings,
    };
  } catch (error) {
    return {
      ready: false,
      reachable: false,
      nodes: [],
      problems: [`Redis is unreachable: ${(error as Error).message}`],
      warnings,
    };
  }
}

/** A host and port pair, as used for Sentinel and Cluster seed nodes. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** TLS material for `rediss://` and TLS-enabled managed Redis. */
export interface RedisTlsConfig {
  /** PEM CA bundle contents. */
  ca?: string;
  /** PEM client certificate contents (mutual TLS). */
  cert?: string;
  /** PEM client key contents (mutual TLS). */
  key?: string;
  /** SNI server name when it differs from the host. */
  servername?: string;
  /** @defaultValue true */
  rejectUnauthorized: boolean;
}

/** Where Redis is: one server, a Sentinel-managed master, or a Cluster. */
export type RedisTarget =
  | { mode: 'standalone'; host: string; port: number; db: number }
  | {
      mode: 'sentinel';
      sentinels: RedisNodeAddress[];
      masterName: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      db: number;
    }
  | { mode: 'cluster'; nodes: RedisNodeAddress[] };

/** The validated Redis configuration every process connects with. */
export interface RedisConfig {
  target: RedisTarget;
  /** ACL user name. */
  username?: string;
  /** Password (with or without ACL user). */
  password?: string;
  /** TLS settings; undefined means plain TCP. */
  tls?: RedisTlsConfig;
  /**
   * BullMQ key prefix. Under Cluster it is a hash tag (`{conveyor}`) so that all keys of a queue
   * live in one slot, as BullMQ's Lua scripts require.
   * @defaultValue 'conveyor'
   */
  prefix: string;
  /**
   * Upper bound for one command on fail-fast (producer and admin) connections.
   * @defaultValue 1000
   */
  commandTimeoutMs: number;
  /**
   * Upper bound for establishing a TCP (and TLS) connection.
   * @defaultValue 2000
   */
  connectTimeoutMs: number;
  /**
   * Replicas that must confirm an enqueue before the API acknowledges it (`WAIT`), and how long
   * they may take (`REDIS_MIN_REPLICAS_ACK`, `REDIS_REPLICA_ACK_TIMEOUT_MS`). Not under Cluster.
   * @defaultValue undefined (the master's acknowledgement suffices)
   */
  replicaAck?: { replicas: number; timeoutMs: number };
}

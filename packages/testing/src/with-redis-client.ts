import { Redis } from 'ioredis';

/** Where to reach one Redis or Sentinel process. */
export interface RedisAddress {
  host: string;
  port: number;
  /** @defaultValue no AUTH */
  password?: string;
}

/** Options for {@link withRedisClient}. */
export interface WithRedisClientOptions {
  /**
   * Bound for connecting and for each command, so a frozen or dead server fails the probe
   * quickly instead of hanging it.
   * @defaultValue 1000
   */
  timeoutMs?: number;
}

/**
 * Runs `fn` with a fresh single-use ioredis client and always disconnects it afterwards. Meant
 * for probes and one-off admin commands: no reconnects, no offline queue, one attempt.
 */
export async function withRedisClient<T>(
  address: RedisAddress,
  fn: (client: Redis) => Promise<T>,
  options: WithRedisClientOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const client = new Redis({
    host: address.host,
    port: address.port,
    password: address.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // The probe's own PING says whether the server is usable; INFO would fail while loading.
    enableReadyCheck: false,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // Failures surface through the rejected command; the event would only add noise.
  client.on('error', () => {});
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

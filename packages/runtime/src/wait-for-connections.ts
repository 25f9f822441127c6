import { type RedisConnection, waitUntilReady } from '@conveyor/redis';

/**
 * Resolves `true` once every connection is ready, `false` when `timeoutMs` passes first (they
 * keep reconnecting in the background), and rejects with `RedisAuthError` as soon as Redis
 * refuses the credentials of one of them.
 */
export async function waitForConnections(
  connections: readonly RedisConnection[],
  timeoutMs: number,
): Promise<boolean> {
  const states = await Promise.all(
    connections.map((connection) => waitUntilReady(connection, timeoutMs)),
  );
  return states.every(Boolean);
}

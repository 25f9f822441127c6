import type { RedisConnection } from '@conveyor/redis';

/**
 * Resolves once `connection` is ready, or after `timeoutMs` (never rejects): a fail-fast
 * connection answers "not connected" to commands sent while it is still connecting.
 */
export async function waitForConnection(
  connection: RedisConnection,
  timeoutMs: number,
): Promise<boolean> {
  if (connection.status === 'ready') return true;
  let timer: NodeJS.Timeout | undefined;
  let onReady: (() => void) | undefined;
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      onReady = () => resolve(true);
      connection.once('ready', onReady);
    }),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (onReady) connection.off('ready', onReady);
  return ready;
}

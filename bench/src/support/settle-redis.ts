import { setTimeout as sleep } from 'node:timers/promises';
import { parseInfo } from '@conveyor/redis';
import type { Redis } from 'ioredis';

/** Longest wait for Redis's background work to finish between rounds. */
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Between rounds: rewrites the AOF now and waits until that and the freeing of deleted keys
 * (lazyfree) are done, so that neither lands inside the next measured round. With the production
 * redis.conf an AOF rewrite starts by itself once the file has doubled, which in a bulk round
 * took a core from whichever side happened to be running and made that round slow.
 */
export async function settleRedis(client: Redis): Promise<void> {
  await client.bgrewriteaof().catch((error: Error) => {
    // Already running, or scheduled behind a snapshot: waiting below covers both.
    if (!/in progress|scheduled/i.test(error.message)) throw error;
  });
  await awaitRedisBackground(client);
}

/**
 * Waits until Redis has no fork running or scheduled (AOF rewrite, snapshot) and has freed the
 * keys deleted so far (lazyfree).
 */
export async function awaitRedisBackground(client: Redis): Promise<void> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const info = parseInfo(await client.info());
    const busy =
      info.get('aof_rewrite_in_progress') !== '0' ||
      info.get('aof_rewrite_scheduled') !== '0' ||
      info.get('rdb_bgsave_in_progress') !== '0' ||
      (info.get('lazyfree_pending_objects') ?? '0') !== '0';
    if (!busy) return;
    if (performance.now() > deadline) {
      throw new Error(`Redis still busy in the background after ${SETTLE_TIMEOUT_MS} ms`);
    }
    await sleep(20);
  }
}

/**
 * Turns off the two things that make Redis fork by itself (the AOF rewrite once the file has
 * grown, the `save` snapshots) until the returned function restores them. Every write to a page
 * after a fork faults once while the child shares it: for 100-300 ms after each fork this VM's
 * Redis answered late, which is what a round that starts after one measures.
 */
export async function pauseRedisForks(client: Redis): Promise<() => Promise<void>> {
  const [, percentage = '100'] = (await client.config('GET', 'auto-aof-rewrite-percentage')) as [
    string,
    string,
  ];
  const [, save = ''] = (await client.config('GET', 'save')) as [string, string];
  await client.config('SET', 'auto-aof-rewrite-percentage', '0');
  await client.config('SET', 'save', '');
  return async () => {
    await client.config('SET', 'auto-aof-rewrite-percentage', percentage);
    await client.config('SET', 'save', save);
  };
}

/** Redis's fork count and AOF size (`INFO`): what a round changed of each. */
export async function redisPersistenceCounters(
  client: Redis,
): Promise<{ forks: number; aofBytes: number }> {
  const info = parseInfo(await client.info());
  return {
    forks: Number(info.get('total_forks') ?? 0),
    aofBytes: Number(info.get('aof_current_size') ?? 0),
  };
}

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

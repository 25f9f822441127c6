import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { dropKeys } from './drop-keys.js';
import { settleRedis } from './settle-redis.js';

/**
 * Between rounds: removes every job of a queue and Conveyor's search index with them, then lets
 * Redis settle. BullMQ's `obliterate` leaves the index, whose entries would then all name removed
 * jobs: the next Conveyor round's sweep would prune a whole round of them (a ZREM from the log and
 * from each value key per job, measured at a quarter of a bulk round's Redis CPU), work of the
 * bench's reset that a baseline round never does. A queue without an index loses nothing more.
 */
export async function emptyQueue(client: Redis, ...queues: Queue[]): Promise<void> {
  for (const queue of queues) {
    await queue.obliterate({ force: true });
    await dropKeys(client, `${queue.qualifiedName}:search:*`);
  }
  await settleRedis(client);
}

import type { RedisConnection } from '@conveyor/redis';
import { deadLetterQueueName, type QueueName } from '../queue-catalog.js';
import { queueKeyOf, searchEntriesKey } from '../redis-keys.js';
import { parseKeys, type SearchIndex } from './search-index.js';
import { extractSearchKeys, type SearchKeys } from './search-keys.js';
import { DEAD_LETTER_SEARCH_TTL_MS, searchTtlMs } from './search-ttl.js';

/**
 * The keys a job was indexed under in `queue` (its tenant and idempotency key included), or,
 * for a job indexed before search existed, those its data carries.
 */
async function keysOf(
  redis: RedisConnection,
  queueKey: string,
  origin: QueueName,
  id: string,
  data: unknown,
): Promise<SearchKeys> {
  const stored = parseKeys(await redis.hget(searchEntriesKey(queueKey), id));
  return Object.keys(stored).length > 0 ? stored : extractSearchKeys(origin, data);
}

/** What {@link indexDeadLetter} and {@link indexReplay} need. */
export interface DeadLetterSearchContext {
  redis: RedisConnection;
  index: SearchIndex;
  prefix: string;
  origin: QueueName;
}

/**
 * Indexes the dead letter `deadLetterId` of origin job `jobId` under the keys the origin job was
 * indexed under, in the dead-letter queue's own index (searched with `deadLetter: true`).
 */
export async function indexDeadLetter(
  context: DeadLetterSearchContext,
  jobId: string,
  deadLetterId: string,
  data: unknown,
): Promise<void> {
  const { redis, index, prefix, origin } = context;
  const keys = await keysOf(redis, queueKeyOf(prefix, origin), origin, jobId, data);
  const deadLetters = queueKeyOf(prefix, deadLetterQueueName(origin));
  await index.write(redis, deadLetters, [{ id: deadLetterId, keys }], {
    ttlMs: DEAD_LETTER_SEARCH_TTL_MS,
    stored: true,
  });
}

/** Indexes job `jobId`, replayed from dead letter `deadLetterId`, under the letter's keys. */
export async function indexReplay(
  context: DeadLetterSearchContext,
  deadLetterId: string,
  jobId: string,
  data: unknown,
): Promise<void> {
  const { redis, index, prefix, origin } = context;
  const deadLetters = queueKeyOf(prefix, deadLetterQueueName(origin));
  const keys = await keysOf(redis, deadLetters, origin, deadLetterId, data);
  await index.write(redis, queueKeyOf(prefix, origin), [{ id: jobId, keys }], {
    ttlMs: searchTtlMs(origin),
    stored: true,
  });
}

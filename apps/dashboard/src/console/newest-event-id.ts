import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';

/** The id of the newest entry of `queue`'s BullMQ events stream, `0-0` when it has none. */
export async function newestEventId(connection: RedisConnection, queue: Queue): Promise<string> {
  const [newest] = await connection.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
  return newest?.[0] ?? '0-0';
}

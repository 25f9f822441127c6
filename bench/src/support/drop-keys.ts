import type { Redis } from 'ioredis';

/** Deletes (UNLINK) every key matching `pattern`, a SCAN MATCH glob; resolves with how many. */
export async function dropKeys(client: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let dropped = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) dropped += await client.unlink(...keys);
  } while (cursor !== '0');
  return dropped;
}

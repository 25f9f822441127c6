import type { Cluster, Redis } from 'ioredis';

/**
 * How many clients of BullMQ prefix `prefix` are blocked reading a stream (`XREAD`) now: the
 * running QueueEvents readers of that prefix (BullMQ names its connections `<prefix>:...`).
 */
export async function countBlockedReaders(
  client: Redis | Cluster,
  prefix: string,
): Promise<number> {
  const clients = (await client.call('CLIENT', 'LIST')) as string;
  return clients
    .split('\n')
    .filter((line) => line.includes(` name=${prefix}:`) && line.includes(' cmd=xread')).length;
}

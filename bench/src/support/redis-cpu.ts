import { parseInfo } from '@conveyor/redis';
import type { Redis } from 'ioredis';

/**
 * CPU time (user + system, every thread) the Redis server has used since it started, in ms, from
 * `INFO cpu`: microsecond resolution, so it can price a drain per job where `/proc`'s 10 ms ticks
 * of a process cannot.
 */
export async function redisCpuMs(client: Redis): Promise<number> {
  const info = parseInfo(await client.info('cpu'));
  const seconds = Number(info.get('used_cpu_user')) + Number(info.get('used_cpu_sys'));
  if (!Number.isFinite(seconds)) throw new Error('INFO cpu has no used_cpu_user/used_cpu_sys');
  return seconds * 1000;
}

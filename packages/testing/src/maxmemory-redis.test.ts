import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaxmemoryRedis, readUsedMemory } from './maxmemory-redis.js';

describe('MaxmemoryRedis', () => {
  let redis: MaxmemoryRedis;
  beforeAll(async () => {
    redis = await MaxmemoryRedis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('refuses a write larger than the room left, and takes it once the limit is lifted', async () => {
    const value = 'x'.repeat(256 * 1024);
    await redis.leaveRoom(64 * 1024);
    await expect(redis.admin.set('big', value)).rejects.toThrow(/^OOM/);
    expect(await redis.admin.exists('big')).toBe(0);
    await redis.lift();
    expect(await redis.admin.set('big', value)).toBe('OK');
    expect(await redis.usedMemory()).toBeGreaterThan(value.length);
  });

  it('refuses even a small write when the limit is put below what is used', async () => {
    await redis.leaveRoom(-512 * 1024);
    await expect(redis.admin.set('small', 'x')).rejects.toThrow(/^OOM/);
    await redis.lift();
    expect(await redis.admin.set('small', 'x')).toBe('OK');
  });

  it('reads used memory as INFO reports it on any connection', async () => {
    const other = redis.client();
    try {
      const before = await readUsedMemory(other);
      await redis.admin.set('more', 'y'.repeat(512 * 1024));
      expect(await readUsedMemory(other)).toBeGreaterThan(before + 256 * 1024);
    } finally {
      other.disconnect();
    }
  });
});

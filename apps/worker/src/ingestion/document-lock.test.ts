import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { createLogger } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LockLostError } from '../errors/lock-lost-error.js';
import { DocumentLocks } from './document-lock.js';

describe('DocumentLocks', () => {
  let redis: RedisConnection;
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const logger = createLogger({ name: 'test', level: 'silent' });

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'admin');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
  });
  afterAll(() => closeRedisConnection(redis));

  it('lets one holder in at a time and tells the others how long to wait', async () => {
    const locks = new DocumentLocks({ connection: redis, prefix, ttlMs: 5000, logger });
    const first = await locks.acquire('doc:a');
    const second = await locks.acquire('doc:a');
    expect(first.acquired).toBe(true);
    expect(second).toMatchObject({ acquired: false });
    expect(second.acquired === false && second.remainingMs).toBeGreaterThan(4000);
    if (first.acquired) await first.lock.release();
    const third = await locks.acquire('doc:a');
    expect(third.acquired).toBe(true);
    if (third.acquired) await third.lock.release();
  });

  it('renews itself past its TTL while held', async () => {
    const locks = new DocumentLocks({ connection: redis, prefix, ttlMs: 300, logger });
    const attempt = await locks.acquire('doc:renewed');
    await sleep(800);
    expect(await redis.exists(locks.key('doc:renewed'))).toBe(1);
    if (attempt.acquired) await attempt.lock.release();
    expect(await redis.exists(locks.key('doc:renewed'))).toBe(0);
  });

  it('notices a lost lock and never releases the next holder’s', async () => {
    const locks = new DocumentLocks({ connection: redis, prefix, ttlMs: 5000, logger });
    const stale = await locks.acquire('doc:lost');
    // The lock expired while its holder was frozen, and someone else took it.
    await redis.del(locks.key('doc:lost'));
    const next = await locks.acquire('doc:lost');
    expect(next.acquired).toBe(true);
    if (!stale.acquired) throw new Error('unreachable');
    await expect(stale.lock.assertHeld()).rejects.toBeInstanceOf(LockLostError);
    await stale.lock.release();
    expect(await redis.exists(locks.key('doc:lost'))).toBe(1);
    if (next.acquired) await next.lock.release();
  });
});

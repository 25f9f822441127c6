import { randomUUID } from 'node:crypto';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ReplyLedger } from './reply-ledger.js';

describe('ReplyLedger', () => {
  let redis: RedisConnection;
  let ledger: ReplyLedger;

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'admin');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
    ledger = new ReplyLedger({ connection: redis, prefix: `t${randomUUID().slice(0, 8)}` });
  });
  afterAll(() => closeRedisConnection(redis));

  it('moves from new to posted, and reports an interrupted attempt as uncertain', async () => {
    expect(await ledger.claim('Ev1', 'a1')).toEqual({ state: 'new' });
    // A second attempt while the first has not finished cannot know whether it posted.
    const seen = await ledger.claim('Ev1', 'a2');
    expect(seen).toEqual({ state: 'uncertain', marker: 'posting:a1' });
    await ledger.markPosted('Ev1', '123.456');
    expect(await ledger.claim('Ev1', 'a3')).toEqual({ state: 'posted', ts: '123.456' });
    expect(await redis.pttl(ledger.key('Ev1'))).toBeGreaterThan(23 * 60 * 60 * 1000);
  });

  it('lets exactly one attempt take over an uncertain claim', async () => {
    await ledger.claim('Ev2', 'dead');
    const [first, second] = await Promise.all([
      ledger.takeOver('Ev2', 'posting:dead', 'b1'),
      ledger.takeOver('Ev2', 'posting:dead', 'b2'),
    ]);
    expect([first, second].sort()).toEqual([false, true]);
  });

  it('releases only its own claim', async () => {
    await ledger.claim('Ev3', 'c1');
    await ledger.release('Ev3', 'someone-else');
    expect(await redis.exists(ledger.key('Ev3'))).toBe(1);
    await ledger.release('Ev3', 'c1');
    expect(await ledger.claim('Ev3', 'c2')).toEqual({ state: 'new' });
  });
});

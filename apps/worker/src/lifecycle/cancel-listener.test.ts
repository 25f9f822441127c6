import { randomUUID } from 'node:crypto';
import { cancelChannel, recentCancelsKey } from '@conveyor/queues';
import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
} from '@conveyor/redis';
import { createLogger } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CancelListener } from './cancel-listener.js';
import type { JobLifecycle } from './job-lifecycle.js';

describe('CancelListener', () => {
  let redis: RedisConnection;
  let queue: Queue;

  beforeAll(async () => {
    const config = parseEnvironment({ redis: redisEnvSchema }, { REDIS_URL: inject('redisUrl') });
    redis = createRedisConnection(config.redis, 'worker');
    await waitFor(() => redis.status === 'ready', { description: 'Redis' });
    queue = new Queue('ingestion', { connection: redis, prefix: `t${randomUUID().slice(0, 8)}` });
  });
  afterAll(async () => {
    await queue.close();
    await closeRedisConnection(redis);
  });

  it('hands announced cancellations to the lifecycle, and those it missed when it connects', async () => {
    const heard: string[] = [];
    const lifecycle = { cancel: (id: string) => heard.push(id) } as unknown as JobLifecycle;
    // Announced before this process subscribed: read back from the recent cancellations.
    await redis.zadd(recentCancelsKey(queue), Date.now(), 'missed');
    await redis.zadd(recentCancelsKey(queue), Date.now() - 10 * 60_000, 'too-old');
    const listener = new CancelListener({
      connection: redis,
      queues: [{ queue, lifecycle }],
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    await listener.start();
    try {
      await waitFor(() => heard.includes('missed'), { description: 'the catch-up' });
      await redis.publish(cancelChannel(queue), 'live');
      await waitFor(() => heard.includes('live'), { description: 'the announcement' });
      expect(heard).not.toContain('too-old');
    } finally {
      await listener.stop();
    }
  });
});

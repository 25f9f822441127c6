import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { inject } from 'vitest';
import { Producer } from '../../src/producer.js';

/** A producer and a worker connection on the test Redis, under a private prefix. */
export interface TestQueues {
  prefix: string;
  /** The producer's connection (fail-fast role). */
  connection: RedisConnection;
  /** A worker-role connection, for raw BullMQ workers. */
  workerConnection: RedisConnection;
  producer: Producer;
  close(): Promise<void>;
}

/**
 * Connects a {@link TestQueues} and waits until its producer connection is ready.
 * @param url the Redis to use. @defaultValue the test run's Redis
 */
export async function connectTestQueues(url: string = inject('redisUrl')): Promise<TestQueues> {
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const config = parseEnvironment(
    { redis: redisEnvSchema },
    { REDIS_URL: url, QUEUE_PREFIX: prefix },
  ).redis;
  const connection = createRedisConnection(config, 'producer');
  const workerConnection = createRedisConnection(config, 'worker');
  const producer = new Producer({ connection, prefix });
  await waitUntilReady(connection, 5000);
  return {
    prefix,
    connection,
    workerConnection,
    producer,
    async close() {
      await producer.close();
      connection.disconnect();
      workerConnection.disconnect();
    },
  };
}

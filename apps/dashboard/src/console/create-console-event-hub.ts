import { deadLetterQueueName, type QueueName } from '@conveyor/queues';
import { createRedisConnection, type RedisConfig, type RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import type { BoardQueue } from '../board-queue.js';
import { ConsoleEventHub } from './console-event-hub.js';
import { readQueueSnapshot } from './read-queue-snapshot.js';

/** What {@link createConsoleEventHub} returns: the hub and the connection its reads block on. */
export interface ConsoleEvents {
  hub: ConsoleEventHub;
  /** Closes the hub's streams and queue event readers, then its connection. */
  close(): Promise<void>;
}

/**
 * The dashboard's {@link ConsoleEventHub}: its QueueEvents, started by the first open page, read
 * on a `queue-events` connection of their own (retries forever, no command timeout; each
 * QueueEvents duplicates it), snapshots read through the board's queues on their shared
 * connection.
 */
export function createConsoleEventHub(options: {
  redisConfig: RedisConfig;
  /** The board's queues and the connection they share. */
  queues: readonly BoardQueue[];
  connection: RedisConnection;
  logger: Logger;
}): ConsoleEvents {
  const { queues, connection, logger } = options;
  const eventsConnection = createRedisConnection(options.redisConfig, 'queue-events', {
    connectionName: 'conveyor:dashboard:events',
    lazyConnect: true,
  });
  const queue = (name: string) => {
    const found = queues.find((entry) => entry.queue.name === name);
    if (!found) throw new Error(`the board has no queue ${name}`);
    return found.queue;
  };
  const hub = new ConsoleEventHub({
    connection: eventsConnection,
    prefix: options.redisConfig.prefix,
    readSnapshot: (name: QueueName) =>
      readQueueSnapshot(connection, name, queue(name), queue(deadLetterQueueName(name))),
    onError: (error, name) => logger.debug({ err: error, queue: name }, 'console events error'),
  });
  return {
    hub,
    async close() {
      await hub.close();
      eventsConnection.disconnect();
    },
  };
}

import type { Producer, QueueName } from '@conveyor/queues';
import { createRedisConnection } from '@conveyor/redis';
import type { AppConfig } from '../config/app-config.js';
import { findJob } from '../jobs/find-job.js';
import { JobEventHub } from './job-event-hub.js';

/**
 * The process's {@link JobEventHub}: one `queue-events` connection (retries forever, no command
 * timeout; each queue's reader, started on demand, opens its own copy of it) and reads through
 * the Producer's queues.
 */
export function createJobEventHub(
  config: AppConfig,
  producer: Producer,
  onError: (error: Error, queue: QueueName) => void,
): JobEventHub {
  const connection = createRedisConnection(config.redis, 'queue-events', {
    connectionName: 'conveyor:api:events',
    lazyConnect: true,
  });
  const readTimeoutMs = config.redis.commandTimeoutMs + 500;
  return new JobEventHub({
    connection,
    prefix: config.redis.prefix,
    readJob: (queue, id) => findJob(producer.queue(queue), id, readTimeoutMs),
    maxWaiters: config.api.maxWaiters,
    maxStreams: config.api.maxEventStreams,
    startTimeoutMs: readTimeoutMs,
    onError,
  });
}

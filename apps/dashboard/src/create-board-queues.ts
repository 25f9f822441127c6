import {
  DEAD_LETTER_RETENTION_MS,
  deadLetterQueueName,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  type QueueName,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import { Queue } from 'bullmq';
import type { BoardQueue } from './board-queue.js';

/** Options for {@link createBoardQueues}. */
export interface CreateBoardQueuesOptions {
  /** Shared by every queue: a fail-fast (`admin`) connection, closed by the caller. */
  connection: RedisConnection;
  /** BullMQ key prefix, from `RedisConfig.prefix`. */
  prefix: string;
  /** Receives the queues' Redis errors, which would otherwise crash the process. */
  logger: Logger;
}

const DAY_MS = 86_400_000;

/** What a dead-letter queue holds, shown on its own board (see `createApp`). */
function deadLetterDescription(origin: QueueName): string {
  const days = Math.round(DEAD_LETTER_RETENTION_MS / DAY_MS);
  return `Dead letters of ${origin}: jobs that ran out of attempts or failed unrecoverably, kept ${days} days. Each one waits here for a replay (from the console), never for a worker.`;
}

/** Title of a dead-letter queue's card; the marker first, so the card's truncation keeps it. */
export function deadLetterDisplayName(origin: QueueName): string {
  return `Dead letters · ${origin}`;
}

/**
 * One BullMQ `Queue` per catalog queue and per dead-letter queue, in catalog order (each queue
 * followed by its dead letters), all on one shared connection. Created once at start; the caller
 * closes them with {@link closeBoardQueues}.
 */
export function createBoardQueues(options: CreateBoardQueuesOptions): BoardQueue[] {
  const { connection, prefix, logger } = options;
  const open = (name: string): Queue => {
    const queue = new Queue(name, { connection, prefix });
    // An EventEmitter 'error' with no listener throws; the connection's own handler logs it.
    queue.on('error', (error) => logger.debug({ queue: name, err: error }, 'queue error'));
    return queue;
  };
  return QUEUE_NAMES.flatMap((name): BoardQueue[] => [
    {
      queue: open(name),
      displayName: name,
      description: QUEUE_CATALOG[name].description,
    },
    {
      queue: open(deadLetterQueueName(name)),
      displayName: deadLetterDisplayName(name),
      description: deadLetterDescription(name),
      deadLettersOf: name,
    },
  ]);
}

/** Closes the queues; the shared connection stays open for its owner to close. */
export async function closeBoardQueues(queues: readonly BoardQueue[]): Promise<void> {
  await Promise.allSettled(queues.map(({ queue }) => queue.close()));
}

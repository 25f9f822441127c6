import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { UnknownQueueError } from './errors/unknown-queue-error.js';
import { isQueueName, QUEUE_NAMES, type QueueName } from './queue-catalog.js';

/** Options for {@link DeadLetterQueues}. */
export interface DeadLetterQueuesOptions {
  /** The connection shared by the process's queues. */
  connection: RedisConnection;
  /** BullMQ key prefix (hash-tagged under Cluster). */
  prefix: string;
  /**
   * Called with connection errors the queues report in the background.
   * @defaultValue ignore
   */
  onError?: ((error: Error, queue: string) => void) | undefined;
}

/**
 * The dead-letter queues of every catalog queue, for the producer's side: reading them and
 * replaying a letter onto its origin queue. (The worker records letters through
 * {@link DeadLetterQueue} directly.)
 */
export class DeadLetterQueues {
  readonly #queues = new Map<QueueName, DeadLetterQueue>();

  constructor(options: DeadLetterQueuesOptions) {
    const onError = options.onError ?? (() => {});
    for (const name of QUEUE_NAMES) {
      const deadLetters = new DeadLetterQueue(name, {
        connection: options.connection,
        prefix: options.prefix,
      });
      deadLetters.queue.on('error', (error) => onError(error, deadLetters.name));
      this.#queues.set(name, deadLetters);
    }
  }

  /** The dead-letter queue of a catalog queue; throws {@link UnknownQueueError} for any other. */
  of(name: string): DeadLetterQueue {
    const queue = isQueueName(name) ? this.#queues.get(name) : undefined;
    if (!queue) throw new UnknownQueueError(name, QUEUE_NAMES);
    return queue;
  }

  /** Replays dead letter `id` of queue `name` onto `origin`; returns the new job's id. */
  replay(name: string, id: string, origin: Queue): Promise<string> {
    return this.of(name).replay(id, origin);
  }

  /** Closes the queues (not the shared connection). */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }
}

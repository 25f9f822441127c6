import { isQueueName, QUEUE_NAMES, type QueueName, UnknownQueueError } from '@conveyor/queues';
import type { Request } from 'express';

/**
 * `name` as a catalog queue.
 * @throws UnknownQueueError (HTTP 404)
 */
export function catalogQueue(name: string): QueueName {
  if (!isQueueName(name)) throw new UnknownQueueError(name, QUEUE_NAMES);
  return name;
}

/** The catalog queue named by the `:queue` path parameter. */
export function queueNameOf(req: Request): QueueName {
  return catalogQueue(String(req.params.queue));
}

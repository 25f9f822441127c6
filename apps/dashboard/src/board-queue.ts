import type { QueueName } from '@conveyor/queues';
import type { Queue } from 'bullmq';

/** One queue shown on the board, with what the board says about it. */
export interface BoardQueue {
  queue: Queue;
  /** Title in the sidebar and overview. */
  displayName: string;
  /** One line under the title. */
  description: string;
  /** Set on a dead-letter queue: the catalog queue whose dead letters it holds. */
  deadLettersOf?: QueueName;
}

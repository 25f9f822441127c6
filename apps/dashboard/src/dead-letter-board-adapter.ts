import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { QueueWorker } from '@bull-board/api/typings/app';

/**
 * Bull Board's BullMQ adapter for a dead-letter queue. No worker ever consumes one, by design, so
 * it reports its workers as unknown: the board then shows no "No workers" warning, which on a
 * dead-letter queue would read as a stuck queue.
 */
export class DeadLetterBoardAdapter extends BullMQAdapter {
  override async getWorkers(): Promise<QueueWorker[] | null> {
    return null;
  }
}

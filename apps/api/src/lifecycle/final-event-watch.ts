import type { QueueName } from '@conveyor/queues';
import { isFinalEvent, type JobEvent } from './job-event.js';
import type { JobEventHub } from './job-event-hub.js';

/**
 * A request's subscription to one job's final event, taken before the job is read: a job that
 * finishes between the read and the wait is then seen, not missed.
 */
export class FinalEventWatch {
  readonly #unsubscribe: () => void;
  readonly #settled: Promise<void>;
  #settle: () => void = () => {};
  #final: JobEvent | undefined;

  /** @throws SubscriberLimitError when the process holds as many waiters as it allows */
  constructor(hub: JobEventHub, queue: QueueName, jobId: string) {
    this.#settled = new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
    this.#unsubscribe = hub.subscribeJob(queue, jobId, 'wait', {
      event: (event) => {
        if (!isFinalEvent(event)) return;
        this.#final ??= event;
        this.#settle();
      },
      close: () => this.#settle(),
    });
  }

  /**
   * Resolves on the job's final event, after `ms`, when `signal` aborts (the client left) or when
   * the hub closes, whichever is first.
   */
  async until(ms: number, signal: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => this.#settle();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        this.#settled,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The job's final event, once it came. */
  get final(): JobEvent | undefined {
    return this.#final;
  }

  /** Lets go of the subscription. */
  stop(): void {
    this.#unsubscribe();
  }
}

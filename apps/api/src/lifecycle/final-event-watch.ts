import type { QueueName } from '@conveyor/queues';
import { isFinalEvent, type JobEvent } from './job-event.js';
import type { JobEventHub } from './job-event-hub.js';

/**
 * A request's subscription to one job's final event, taken before the job is read: a job that
 * finishes between the read and the wait is then seen, not missed.
 */
export class FinalEventWatch {
  #unsubscribe: () => void = () => {};
  readonly #settled: Promise<void>;
  #settle: () => void = () => {};
  #final: JobEvent | undefined;

  private constructor() {
    this.#settled = new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
  }

  /**
   * Subscribes to the job's events; resolves once every later event will be seen.
   * @throws SubscriberLimitError when the process holds as many waiters as it allows
   * @throws RedisUnavailableError when the queue's events could not be followed in time
   */
  static async start(hub: JobEventHub, queue: QueueName, jobId: string): Promise<FinalEventWatch> {
    const watch = new FinalEventWatch();
    watch.#unsubscribe = await hub.subscribeJob(queue, jobId, 'wait', {
      event: (event) => {
        if (!isFinalEvent(event)) return;
        watch.#final ??= event;
        watch.#settle();
      },
      close: () => watch.#settle(),
    });
    return watch;
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

import type { QueueName } from '@conveyor/queues';
import type { JobHandler } from './job-handler.js';

/**
 * The handler registry: which code runs for each (queue, job name). The runtime only asks it;
 * a team adds a Slack event type with `register('slack-events', 'reaction_added', handler)`, or
 * a whole new catalog queue by registering its job names, without touching the runtime.
 *
 * Responsibilities:
 * - map a queue's job names to handlers, with an optional fallback per queue (Slack: unknown
 *   event types complete as ignored);
 * - refuse an accidental second registration of the same job name;
 * - tell the runtime which queues it can serve.
 */
export class HandlerRegistry {
  readonly #handlers = new Map<QueueName, Map<string, JobHandler>>();
  readonly #fallbacks = new Map<QueueName, JobHandler>();

  /**
   * Registers the handler of `jobName` on `queue`.
   * @throws when one is already registered, unless `options.replace` is true.
   */
  register(
    queue: QueueName,
    jobName: string,
    handler: JobHandler,
    options: { replace?: boolean } = {},
  ): this {
    let byName = this.#handlers.get(queue);
    if (!byName) {
      byName = new Map();
      this.#handlers.set(queue, byName);
    }
    if (byName.has(jobName) && !options.replace) {
      throw new Error(
        `A handler for "${jobName}" on ${queue} is already registered; pass { replace: true } to override it`,
      );
    }
    byName.set(jobName, handler);
    return this;
  }

  /** Sets the handler of every job name on `queue` that has no handler of its own. */
  registerFallback(queue: QueueName, handler: JobHandler): this {
    this.#fallbacks.set(queue, handler);
    return this;
  }

  /** The handler for a job, or undefined when neither a handler nor a fallback exists. */
  resolve(queue: QueueName, jobName: string): JobHandler | undefined {
    return this.#handlers.get(queue)?.get(jobName) ?? this.#fallbacks.get(queue);
  }

  /** True when at least one job name (or a fallback) of `queue` has a handler. */
  serves(queue: QueueName): boolean {
    return (this.#handlers.get(queue)?.size ?? 0) > 0 || this.#fallbacks.has(queue);
  }

  /** The job names registered on `queue`, for start-up logs. */
  jobNames(queue: QueueName): string[] {
    const names = [...(this.#handlers.get(queue)?.keys() ?? [])];
    return this.#fallbacks.has(queue) ? [...names, '*'] : names;
  }
}

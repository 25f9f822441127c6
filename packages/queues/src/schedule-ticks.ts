import type { RedisConnection } from '@conveyor/redis';
import type { Job, Queue } from 'bullmq';
import { QUEUE_CATALOG, type QueueName } from './queue-catalog.js';
import { searchEntriesKey } from './redis-keys.js';
import { SearchIndex } from './search/search-index.js';
import { extractSearchKeys } from './search/search-keys.js';
import { searchTtlMs } from './search/search-ttl.js';
import { assignTurns } from './tenants/assign-turns.js';
import { DEFAULT_TENANT, namedTenant } from './tenants/job-tenant.js';
import { resolveTenant } from './tenants/resolve-tenant.js';

/** Options for {@link ScheduleTicks}. */
export interface ScheduleTicksOptions {
  /** The worker connection (any role that reaches the queue's Redis). */
  connection: RedisConnection;
  /** The queue's control `Queue` (keys; its jobs are the ones placed). */
  queue: Queue;
  /** The catalog queue: its search keys and tenant derivation. */
  name: QueueName;
  /**
   * The index the ticks are written to.
   * @defaultValue a process-wide one
   */
  search?: SearchIndex;
  /**
   * Called when placing a tick failed (a Redis error on the way); the tick then runs now, out of
   * fair order, instead of spending an attempt. Typically a logger's warn.
   * @defaultValue ignore
   */
  onError?: (error: Error, job: Job) => void;
}

const sharedIndex = new SearchIndex();

/**
 * Places the jobs of schedules (BullMQ Job Schedulers) as an enqueue places any job. BullMQ adds
 * each tick inside its own scripts (the first when the schedule is stored, the next when a worker
 * takes the current one), where no Conveyor code runs: a tick arrives unindexed and, when due,
 * in BullMQ's wait list, which workers drain before the prioritized set that holds the tenants'
 * turns, so it would run ahead of fair order.
 *
 * So when a worker takes a tick that has no search entry yet, {@link place} indexes it under its
 * catalog search keys and tenant (retention then removes the entry with the job, like any other),
 * gives it its tenant's next turn (its schedule's priority, if any, as an enqueue's) and puts it
 * back, due now; it runs when its turn comes, and is not placed again. No timer or loop: the
 * work happens once per tick, when a worker meets it. Every key is in the queue's hash slot.
 */
export class ScheduleTicks {
  readonly #connection: RedisConnection;
  readonly #queue: Queue;
  readonly #name: QueueName;
  readonly #search: SearchIndex;
  readonly #onError: (error: Error, job: Job) => void;

  constructor(options: ScheduleTicksOptions) {
    this.#connection = options.connection;
    this.#queue = options.queue;
    this.#name = options.name;
    this.#search = options.search ?? sharedIndex;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * True when `job` (active, locked by `token`) is a tick not placed yet: it has been indexed,
   * given its turn and moved back to wait for it (the processor then throws BullMQ's
   * `DelayedError`). False for any other job, which runs now; also for a tick without a lock
   * token (it cannot be moved) or whose placement failed: placing is not the job's work, so its
   * errors are reported to `onError` and never spend one of the job's attempts. Any job that is
   * not a tick gets `false` at once, not a promise: the worker asks for every job it takes.
   */
  place(job: Job, token: string | undefined): Promise<boolean> | false {
    if (!job.repeatJobKey || !token) return false;
    return this.#placeReporting(job, token);
  }

  async #placeReporting(job: Job, token: string): Promise<boolean> {
    try {
      return await this.#place(job, token);
    } catch (caught) {
      this.#onError(caught instanceof Error ? caught : new Error(String(caught)), job);
      return false;
    }
  }

  async #place(job: Job, token: string): Promise<boolean> {
    const queueKey = this.#queue.qualifiedName;
    const id = String(job.id);
    if ((await this.#connection.hexists(searchEntriesKey(queueKey), id)) === 1) return false;
    const tenant = this.#tenantOf(job);
    // Indexed first: a tick whose turn then failed runs now (and when taken again), never loops.
    await this.#search.write(
      this.#connection,
      queueKey,
      [{ id, keys: extractSearchKeys(this.#name, job.data, { tenant }) }],
      { ttlMs: searchTtlMs(this.#name), stored: true },
    );
    const priority = job.opts.priority ?? 0;
    const [turn] = await assignTurns(this.#connection, this.#queue, [
      { tenant, ...(priority > 0 ? { priority } : {}) },
    ]);
    // BullMQ moves a job that comes due into the prioritized set by this field.
    await job.changePriority({ priority: turn ?? 1 });
    await job.moveToDelayed(Date.now(), token);
    return true;
  }

  /**
   * The tick's tenant: the one its schedule stored (`setTenant` on the template), else, for a
   * schedule stored before, the catalog's derivation from its data.
   */
  #tenantOf(job: Job): string {
    const named = namedTenant(job);
    if (named !== undefined) return named;
    const derived = resolveTenant(QUEUE_CATALOG[this.#name], job.name, job.data, undefined);
    return derived.ok ? derived.tenant : DEFAULT_TENANT;
  }
}

import {
  jobTenant,
  PayloadTooLargeError,
  PayloadValidationError,
  type Producer,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  type QueueName,
  resolveTenant,
  setTenant,
  TenantNotAllowedError,
  withDeadline,
} from '@conveyor/queues';
import type { JobSchedulerJson, JobsOptions } from 'bullmq';
import type { ScheduleRequest, ScheduleView } from './schedule-schemas.js';

/** Most schedules listed per queue. */
const MAX_LISTED_PER_QUEUE = 1000;

const iso = (epochMs: number | undefined) => (epochMs ? new Date(epochMs).toISOString() : null);

/**
 * Schedules over BullMQ Job Schedulers: each schedule is one scheduler of its queue, stored in
 * Redis (it survives every restart), whose next job BullMQ adds as the current one is taken, so
 * a tick makes one job however many workers run.
 *
 * Responsibilities:
 * - validate a schedule's job like an enqueue (catalog schema, `MAX_JOB_BYTES`, its tenant named
 *   or derived and allowed by the client's tenant scopes);
 * - keep ids unique across queues (a schedule moved to another queue leaves the first);
 * - bound every Redis call in time (fail-fast connection: 503 when Redis is down).
 */
export class Schedules {
  readonly #producer: Producer;
  readonly #maxJobBytes: number;
  readonly #timeoutMs: number;

  constructor(producer: Producer, maxJobBytes: number, timeoutMs: number) {
    this.#producer = producer;
    this.#maxJobBytes = maxJobBytes;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Creates or replaces a schedule; `created` is false when one with this id existed. With
   * `tenants` (the client's tenant scopes), a schedule for another tenant, or replacing another
   * tenant's, throws `TenantNotAllowedError`, as an enqueue does.
   */
  async upsert(
    id: string,
    request: ScheduleRequest,
    tenants?: ReadonlySet<string>,
  ): Promise<{ created: boolean; schedule: ScheduleView }> {
    const definition = QUEUE_CATALOG[request.queue];
    const parsed = definition.parseJob(request.name, request.data);
    if (!parsed.ok) throw new PayloadValidationError(parsed.issues);
    if (Buffer.byteLength(JSON.stringify(parsed.data)) > this.#maxJobBytes) {
      throw new PayloadTooLargeError(this.#maxJobBytes);
    }
    const opts: JobsOptions = {
      ...definition.defaultJobOptions,
      ...(request.options?.priority ? { priority: request.options.priority } : {}),
    };
    // Each tick carries its tenant (named, else derived, as for an enqueue): the worker indexes
    // it and gives it that tenant's turn when it first takes it (`ScheduleTicks`).
    const tenant = resolveTenant(definition, parsed.name, parsed.data, request.options?.tenant);
    if (!tenant.ok) throw new PayloadValidationError([tenant.issue]);
    if (tenants && !tenants.has(tenant.tenant)) {
      throw new TenantNotAllowedError(tenant.tenant, 'options.tenant');
    }
    setTenant(opts, tenant.tenant);
    const existing = await this.#find(id);
    if (tenants && existing !== undefined) {
      const stored = jobTenant({ opts: existing.scheduler.template?.opts ?? {} });
      if (!tenants.has(stored)) throw new TenantNotAllowedError(stored, 'id');
    }
    if (existing !== undefined && existing.queue !== request.queue) {
      await this.#bounded(this.#producer.queue(existing.queue).removeJobScheduler(id));
    }
    const queue = this.#producer.queue(request.queue);
    await this.#bounded(
      queue.upsertJobScheduler(
        id,
        {
          ...(request.cron !== undefined ? { pattern: request.cron } : {}),
          ...(request.everyMs !== undefined ? { every: request.everyMs } : {}),
          ...(request.tz !== undefined ? { tz: request.tz } : {}),
          ...(request.startAt !== undefined ? { startDate: request.startAt } : {}),
          ...(request.endAt !== undefined ? { endDate: request.endAt } : {}),
          ...(request.limit !== undefined ? { limit: request.limit } : {}),
        },
        { name: parsed.name, data: parsed.data, opts },
      ),
    );
    const stored = await this.#bounded(queue.getJobScheduler(id));
    if (stored === undefined) throw new Error(`schedule ${id} not found right after it was stored`);
    return { created: existing === undefined, schedule: toView(request.queue, id, stored) };
  }

  /** The schedule with this id, in whichever queue it is. */
  async get(id: string): Promise<ScheduleView | undefined> {
    const found = await this.#find(id);
    return found && toView(found.queue, id, found.scheduler);
  }

  /** Every schedule, queue by queue, at most 1,000 per queue. */
  async list(): Promise<ScheduleView[]> {
    const perQueue = await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const schedulers = await this.#bounded(
          this.#producer.queue(name).getJobSchedulers(0, MAX_LISTED_PER_QUEUE - 1, true),
        );
        return schedulers.map((scheduler) => toView(name, scheduler.key, scheduler));
      }),
    );
    return perQueue.flat();
  }

  /** Removes a schedule (jobs already created stay); false when there was none. */
  async remove(id: string): Promise<boolean> {
    const found = await this.#find(id);
    if (found === undefined) return false;
    return this.#bounded(this.#producer.queue(found.queue).removeJobScheduler(id));
  }

  async #find(id: string): Promise<{ queue: QueueName; scheduler: JobSchedulerJson } | undefined> {
    const found = await Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const scheduler = await this.#bounded(this.#producer.queue(queue).getJobScheduler(id));
        return scheduler === undefined ? undefined : { queue, scheduler };
      }),
    );
    return found.find((entry) => entry !== undefined);
  }

  #bounded<T>(operation: Promise<T>): Promise<T> {
    return withDeadline(operation, this.#timeoutMs);
  }
}

function toView(queue: QueueName, id: string, scheduler: JobSchedulerJson): ScheduleView {
  const priority = scheduler.template?.opts?.priority;
  return {
    id,
    queue,
    name: scheduler.name,
    data: scheduler.template?.data ?? null,
    options: priority ? { priority } : {},
    tenant: jobTenant({ opts: scheduler.template?.opts ?? {} }),
    cron: scheduler.pattern ?? null,
    everyMs: scheduler.every ? Number(scheduler.every) : null,
    tz: scheduler.tz ?? null,
    startAt: iso(scheduler.startDate),
    endAt: iso(scheduler.endDate),
    limit: scheduler.limit ?? null,
    iterations: scheduler.iterationCount ?? 0,
    nextRunAt: iso(scheduler.next),
  };
}

import { jobTenant, type QueueName, type TenantGate } from '@conveyor/queues';
import type { Logger } from '@conveyor/telemetry';
import { DelayedError, type Job, RateLimitError } from 'bullmq';
import type { HandlerContext } from './handlers/handler-context.js';

/** What every {@link JobContext} of one queue shares, made once per processor. */
export interface JobContextServices {
  queue: QueueName;
  /** The processor's logger with the queue bound: parent of each job's child logger. */
  queueLogger: Logger;
  /** Sets the queue-wide rate limit for `ms`. */
  rateLimit: (ms: number) => Promise<void>;
  /** The tenant gate, when the queue has one. @defaultValue none */
  gate?: TenantGate | undefined;
}

/**
 * The {@link HandlerContext} of one attempt of one job. One is made per job, so it holds fields
 * and prototype methods only (the closures it replaced were four allocations per job), and makes
 * the job's child logger the first time something asks for it.
 */
export class JobContext implements HandlerContext {
  readonly token: string;
  readonly signal: AbortSignal | undefined;
  readonly #services: JobContextServices;
  readonly #job: Job;
  readonly #attempt: number;
  /** The lock token as BullMQ gave it (maybe none), for moving the job. */
  readonly #lockToken: string | undefined;
  #logger: Logger | undefined;

  constructor(
    services: JobContextServices,
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.#services = services;
    this.#job = job;
    // Read now: BullMQ counts the attempt once the job moves on, before a late log line.
    this.#attempt = job.attemptsMade + 1;
    this.#lockToken = token;
    this.token = token ?? '';
    this.signal = signal;
  }

  get queue(): QueueName {
    return this.#services.queue;
  }

  /** Child logger carrying queue, job id, job name, tenant and attempt. */
  get logger(): Logger {
    this.#logger ??= this.#services.queueLogger.child(this.#bindings());
    return this.#logger;
  }

  /**
   * Writes the job's completion line at info, with the fields of the job's child logger. A job
   * that made no child writes it through the queue's logger: a pino child per job (about a
   * kilobyte of allocation) cost more than four more fields on the line. With info off, nothing.
   */
  logCompleted(durationMs: number): void {
    const { queueLogger } = this.#services;
    if (!queueLogger.isLevelEnabled('info')) return;
    if (this.#logger) {
      this.#logger.info({ durationMs }, 'job completed');
      return;
    }
    const job = this.#job;
    queueLogger.info(
      { jobId: job.id, job: job.name, tenant: jobTenant(job), attempt: this.#attempt, durationMs },
      'job completed',
    );
  }

  async rateLimitQueue(ms: number): Promise<never> {
    await this.#services.rateLimit(ms);
    this.logger.warn(
      { pauseMs: ms },
      'queue rate limited; job put back without spending an attempt',
    );
    throw new RateLimitError();
  }

  async limitTenant(ms: number): Promise<never> {
    const { gate } = this.#services;
    const tenant = jobTenant(this.#job);
    const until = gate ? await gate.limit(tenant, ms) : Date.now() + ms;
    await this.#job.moveToDelayed(until, this.#lockToken);
    this.logger.warn(
      { tenant, pauseMs: ms },
      'tenant paused; job put back without spending an attempt',
    );
    throw new DelayedError();
  }

  async postpone(ms: number): Promise<never> {
    await this.#job.moveToDelayed(Date.now() + ms, this.#lockToken);
    this.logger.debug({ delayMs: ms }, 'job postponed without spending an attempt');
    throw new DelayedError();
  }

  #bindings() {
    const job = this.#job;
    return {
      jobId: job.id,
      job: job.name,
      tenant: jobTenant(job),
      attempt: this.#attempt,
    };
  }
}

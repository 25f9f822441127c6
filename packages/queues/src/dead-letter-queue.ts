import type { RedisConnection } from '@conveyor/redis';
import { type Job, Queue } from 'bullmq';
import { JobNotFoundError } from './errors/job-not-found-error.js';
import { DEAD_LETTER_RETENTION_MS } from './job-policies.js';
import { deadLetterQueueName, type QueueName } from './queue-catalog.js';

/** What a dead letter keeps of the job that died. */
export interface DeadLetterData {
  /** The origin queue. */
  queue: QueueName;
  /** The origin job's id. */
  jobId: string;
  /** The origin job's name. */
  name: string;
  /** The original payload, unchanged. */
  data: unknown;
  failedReason: string;
  stacktrace: string[];
  /** Attempts made, including the last one. */
  attemptsMade: number;
  /** True when the failure was marked unrecoverable (no retries were spent). */
  unrecoverable: boolean;
  /** ISO time of the final failure. */
  failedAt: string;
}

/** A dead letter as listed and returned by the API. */
export interface DeadLetter extends DeadLetterData {
  /** The dead letter's own id (used to replay it). */
  id: string;
}

/** Options for {@link DeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  connection: RedisConnection;
  /** BullMQ key prefix (hash-tagged under Cluster). */
  prefix: string;
}

/**
 * The dead-letter queue of one catalog queue. A job that exhausts its attempts, or fails
 * unrecoverably, is copied here with its payload, error and attempts, kept 7 days, and can be
 * replayed onto its origin queue. Dead letters are BullMQ jobs that no worker consumes, so Bull
 * Board shows them like any other queue.
 *
 * Responsibilities:
 * - record a finally-failed job idempotently (a retried record of the same job is a no-op);
 * - list newest first, read one, count;
 * - replay one onto the origin queue and remove it;
 * - trim entries older than the retention.
 */
export class DeadLetterQueue {
  readonly name: string;
  readonly queue: Queue;

  constructor(
    readonly origin: QueueName,
    options: DeadLetterQueueOptions,
  ) {
    this.name = deadLetterQueueName(origin);
    this.queue = new Queue(this.name, { connection: options.connection, prefix: options.prefix });
  }

  /** Copies a finally-failed job here. Returns the dead letter's id. */
  async record(job: Job, error: Error, options: { unrecoverable: boolean }): Promise<string> {
    const id = `${this.origin}-${job.id}`;
    const data: DeadLetterData = {
      queue: this.origin,
      jobId: String(job.id),
      name: job.name,
      data: job.data,
      failedReason: error.message,
      stacktrace: (error.stack ?? '').split('\n').slice(0, 20),
      attemptsMade: job.attemptsMade + 1,
      unrecoverable: options.unrecoverable,
      failedAt: new Date().toISOString(),
    };
    // A fixed id makes recording idempotent: a worker that crashes after this line and runs the
    // job's failure again adds nothing new.
    await this.queue.add(job.name, data, { jobId: id });
    await this.trim();
    return id;
  }

  /** Dead letters newest first. */
  async list(page: {
    offset: number;
    limit: number;
  }): Promise<{ total: number; items: DeadLetter[] }> {
    const [total, jobs] = await Promise.all([
      this.queue.getWaitingCount(),
      this.queue.getJobs(['wait'], page.offset, page.offset + page.limit - 1, false),
    ]);
    return { total, items: jobs.filter(Boolean).map(toDeadLetter) };
  }

  /** One dead letter, or undefined. */
  async get(id: string): Promise<DeadLetter | undefined> {
    const job = await this.queue.getJob(id);
    return job ? toDeadLetter(job) : undefined;
  }

  async count(): Promise<number> {
    return this.queue.getWaitingCount();
  }

  /**
   * Puts the original payload back on the origin queue as a new job (with the catalog's
   * attempts and retention) and removes the dead letter. Returns the new job's id.
   */
  async replay(id: string, originQueue: Queue): Promise<string> {
    const job = await this.queue.getJob(id);
    if (!job) throw new JobNotFoundError(this.name, id);
    const letter = job.data as DeadLetterData;
    // Deterministic: replaying the same dead letter twice (a crash between add and remove)
    // finds the first replay instead of adding a second job.
    const replayed = await originQueue.add(letter.name, letter.data, {
      jobId: `${id}-replay-${job.timestamp}`,
    });
    await job.remove();
    return String(replayed.id);
  }

  /** Removes dead letters older than the retention (7 days). */
  async trim(): Promise<void> {
    await this.queue.clean(DEAD_LETTER_RETENTION_MS, 1000, 'wait');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

function toDeadLetter(job: Job): DeadLetter {
  return { id: String(job.id), ...(job.data as DeadLetterData) };
}

import type { RedisConnection } from '@conveyor/redis';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import { JobNotFoundError } from './errors/job-not-found-error.js';
import { DEAD_LETTER_RETENTION_MS } from './job-policies.js';
import { deadLetterQueueName, type QueueName } from './queue-catalog.js';
import { DEAD_LETTER_ORIGINS_KEPT_MS, deadLetterOriginsKey, jobKey } from './redis-keys.js';
import { CLAIM_DEAD_LETTER_SCRIPT } from './scripts/claim-dead-letter.js';
import {
  type DeadLetterSearchContext,
  indexDeadLetter,
  indexReplay,
} from './search/dead-letter-search.js';
import { SearchIndex } from './search/search-index.js';
import { applyTurns } from './tenants/apply-turns.js';
import { DEFAULT_TENANT, jobTenant, setTenant } from './tenants/job-tenant.js';

/** Letters read at a time when a listing filters by tenant. */
const LIST_BATCH = 200;

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
  /** The origin job's tenant, kept by its replay. Absent on letters recorded before tenants. */
  tenant?: string;
  failedReason: string;
  stacktrace: string[];
  /** Attempts made, including the last one. */
  attemptsMade: number;
  /** True when the failure was marked unrecoverable (no retries were spent). */
  unrecoverable: boolean;
  /**
   * Why the job is here: `failed` (its handler failed for good, or BullMQ failed it) or
   * `expired` (not started by its deadline, never run). Absent on letters recorded before.
   */
  reason?: DeadLetterReason;
  /** ISO time of the final failure. */
  failedAt: string;
}

/** Why a job became a dead letter. */
export type DeadLetterReason = 'failed' | 'expired';

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

/** The result of recording a dead letter. */
export interface RecordResult {
  /** The dead letter's id. */
  id: string;
  /**
   * True for exactly one call per origin job: the one that claimed it, once its copy existed.
   * Count `conveyor_dead_letters_total` on this alone, or a job recorded twice (by its worker and
   * by the sweep, by a worker that lost its lock and the one that took over, or by a call that
   * stopped between copying and claiming and the next one) is counted twice.
   */
  created: boolean;
}

/** The dead letter id of origin job `jobId`: one per origin job, so a second copy is a no-op. */
export function deadLetterId(origin: QueueName, jobId: string): string {
  return `${origin}-${jobId}`;
}

/**
 * The dead-letter queue of one catalog queue. A job that exhausts its attempts, or fails
 * unrecoverably, is copied here with its payload, error and attempts, kept 7 days, and can be
 * replayed onto its origin queue. Dead letters are BullMQ jobs that no worker consumes, so Bull
 * Board shows them like any other queue.
 *
 * Responsibilities:
 * - record a finally-failed job idempotently (a second record of the same job is a no-op), and
 *   remember which origin jobs were recorded, also after their dead letter is replayed;
 * - list newest first, read one, count;
 * - replay one onto the origin queue and remove it;
 * - trim entries older than the retention.
 */
export class DeadLetterQueue {
  readonly name: string;
  readonly queue: Queue;
  readonly #redis: RedisConnection;
  /** Sorted set of the origin job ids recorded here, scored by when. */
  readonly #originsKey: string;
  readonly #search: DeadLetterSearchContext;

  constructor(
    readonly origin: QueueName,
    options: DeadLetterQueueOptions,
  ) {
    this.name = deadLetterQueueName(origin);
    this.queue = new Queue(this.name, { connection: options.connection, prefix: options.prefix });
    this.#redis = options.connection;
    this.#originsKey = deadLetterOriginsKey(this.queue);
    this.#search = {
      redis: options.connection,
      index: new SearchIndex(),
      prefix: options.prefix,
      origin,
    };
  }

  /**
   * Copies a job that is failing for good, while it still runs (its last attempt not yet
   * counted).
   */
  async record(
    job: Job,
    error: Error,
    options: { unrecoverable: boolean; reason?: DeadLetterReason },
  ): Promise<RecordResult> {
    return this.#store(job, {
      queue: this.origin,
      jobId: String(job.id),
      name: job.name,
      data: job.data,
      tenant: jobTenant(job),
      failedReason: error.message,
      stacktrace: stackLines(error.stack),
      attemptsMade: job.attemptsMade + 1,
      unrecoverable: options.unrecoverable,
      reason: options.reason ?? 'failed',
      failedAt: new Date().toISOString(),
    });
  }

  /**
   * Copies a job BullMQ has failed for good, from what BullMQ stored: its last error, its
   * attempts (the last one counted) and its finish time. Unless told, a job that failed before
   * spending all its attempts counts as unrecoverable.
   */
  async recordFailed(
    job: Job,
    options: { unrecoverable?: boolean; reason?: DeadLetterReason } = {},
  ): Promise<RecordResult> {
    const attempts = job.opts.attempts ?? 1;
    return this.#store(job, {
      queue: this.origin,
      jobId: String(job.id),
      name: job.name,
      data: job.data,
      tenant: jobTenant(job),
      failedReason: job.failedReason ?? '',
      stacktrace: stackLines(job.stacktrace?.at(-1)),
      attemptsMade: job.attemptsMade,
      unrecoverable: options.unrecoverable ?? job.attemptsMade < attempts,
      reason: options.reason ?? 'failed',
      failedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
    });
  }

  /**
   * Which of these origin job ids were recorded here (in the last 48 hours), whether their dead
   * letter still exists or was replayed.
   */
  async recorded(jobIds: string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const scores = await this.#redis.zmscore(this.#originsKey, ...jobIds);
    return new Set(jobIds.filter((_, index) => scores[index] !== null));
  }

  async #store(job: Job, data: DeadLetterData): Promise<RecordResult> {
    const id = deadLetterId(this.origin, data.jobId);
    // A fixed id makes the copy idempotent: a second copy of the same job adds nothing new.
    await this.queue.add(job.name, data, { jobId: id });
    // Searchable like its origin job; written again by a second copy, which changes nothing.
    await indexDeadLetter(this.#search, data.jobId, id, data.data);
    // Claimed after the copy: a call that stops in between leaves a copy that the next call
    // claims (and counts), never a claimed job without its copy.
    const claimed = await this.#claim(data.jobId, id);
    await this.trim();
    return { id, created: claimed };
  }

  /**
   * Remembers that origin job `jobId`, whose dead letter is `letterId`, was recorded; true for the
   * one call that does it first. Throws when the letter is missing (the claim would be a lie).
   */
  async #claim(jobId: string, letterId: string): Promise<boolean> {
    const claimed = Number(
      await this.#redis.eval(
        CLAIM_DEAD_LETTER_SCRIPT,
        2,
        this.#originsKey,
        jobKey(this.queue, letterId),
        Date.now(),
        jobId,
        DEAD_LETTER_ORIGINS_KEPT_MS,
      ),
    );
    if (claimed < 0) throw new Error(`dead letter ${letterId} vanished before it was claimed`);
    return claimed === 1;
  }

  /** Remembers that origin job `jobId` was recorded (first time kept) and forgets old ones. */
  async #remember(jobId: string, now: number): Promise<void> {
    const results = await this.#redis
      .multi()
      .zadd(this.#originsKey, 'NX', now, jobId)
      .zremrangebyscore(this.#originsKey, '-inf', now - DEAD_LETTER_ORIGINS_KEPT_MS)
      .exec();
    for (const [error] of results ?? []) if (error) throw error;
  }

  /**
   * Dead letters newest first; with `tenants`, only theirs (a letter recorded before tenants
   * counts as {@link DEFAULT_TENANT}'s), paged and counted among them. Filtering walks every
   * letter (kept 7 days) in batches, so it costs a read of the whole queue.
   */
  async list(page: {
    offset: number;
    limit: number;
    tenants?: ReadonlySet<string> | undefined;
  }): Promise<{ total: number; items: DeadLetter[] }> {
    const { offset, limit, tenants } = page;
    if (tenants === undefined) {
      const [total, jobs] = await Promise.all([
        this.queue.getWaitingCount(),
        this.queue.getJobs(['wait'], offset, offset + limit - 1, false),
      ]);
      return { total, items: jobs.filter(Boolean).map(toDeadLetter) };
    }
    const items: DeadLetter[] = [];
    let total = 0;
    for (let start = 0; ; start += LIST_BATCH) {
      const jobs = await this.queue.getJobs(['wait'], start, start + LIST_BATCH - 1, false);
      for (const job of jobs) {
        if (!job) continue;
        const letter = toDeadLetter(job);
        if (!tenants.has(letter.tenant ?? DEFAULT_TENANT)) continue;
        if (total >= offset && items.length < limit) items.push(letter);
        total += 1;
      }
      if (jobs.length < LIST_BATCH) return { total, items };
    }
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
   * attempts and retention, its tenant and that tenant's next turn in the fair order, indexed
   * for search under the letter's keys) and removes the dead letter. Returns the new job's id.
   */
  async replay(id: string, originQueue: Queue): Promise<string> {
    const job = await this.queue.getJob(id);
    if (!job) throw new JobNotFoundError(this.name, id);
    const letter = job.data as DeadLetterData;
    // Deterministic: replaying the same dead letter twice (a crash between add and remove)
    // finds the first replay instead of adding a second job. Named after the origin job, not the
    // dead letter, so a replay that dies again does not repeat the queue name in its ids.
    const opts: JobsOptions = { jobId: `${letter.jobId}-replay-${job.timestamp}` };
    if (letter.tenant !== undefined) setTenant(opts, letter.tenant);
    // Its tenant's next turn, as an enqueue takes: without one it would run ahead of fair order.
    await applyTurns(this.#redis, originQueue, [
      { opts, turn: { tenant: letter.tenant ?? DEFAULT_TENANT } },
    ]);
    const replayed = await originQueue.add(letter.name, letter.data, opts);
    await indexReplay(this.#search, id, String(replayed.id), letter.data);
    // Remembered before the letter goes, so no sweep copies the origin job here again.
    await this.#remember(letter.jobId, Date.now());
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

/** The first 20 lines of a stack. */
function stackLines(stack: string | undefined): string[] {
  return (stack ?? '').split('\n').slice(0, 20);
}

function toDeadLetter(job: Job): DeadLetter {
  return { id: String(job.id), ...(job.data as DeadLetterData) };
}

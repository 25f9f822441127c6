import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import { JobNotFoundError } from './errors/job-not-found-error.js';
import { DEAD_LETTER_RETENTION_MS } from './job-policies.js';
import { deadLetterQueueName, type QueueName } from './queue-catalog.js';
import {
  DEAD_LETTER_ORIGINS_KEPT_MS,
  deadLetterOriginsKey,
  deadLetterTenantKey,
  deadLetterTenantsIndexedKey,
  deadLetterTenantsIndexLockKey,
  jobKey,
  TENANT_BACKFILL_REPEAT_MS,
} from './redis-keys.js';
import { CLAIM_DEAD_LETTER_SCRIPT } from './scripts/claim-dead-letter.js';
import { COMPARE_AND_DELETE_SCRIPT } from './scripts/compare-and-delete.js';
import {
  type DeadLetterSearchContext,
  indexDeadLetter,
  indexReplay,
} from './search/dead-letter-search.js';
import { SearchIndex } from './search/search-index.js';
import { applyTurns } from './tenants/apply-turns.js';
import { DEFAULT_TENANT, jobTenant, setTenant } from './tenants/job-tenant.js';

/** Times a tenant's listing reads again after finding letters removed behind its index. */
const STALE_REREADS = 3;
/** Letters read at a time by the one pass that indexes letters recorded before the index. */
const BACKFILL_BATCH = 500;
/** How long the process making the tenant-index pass keeps others from starting one. */
const BACKFILL_LOCK_MS = 5 * 60 * 1000;

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
 * - index each letter under its tenant, so a tenant's listing costs its own letters only;
 * - list newest first (all, or some tenants'), read one, count;
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
  /** Until when this process knows the older letters indexed (see {@link #indexOlderLetters}). */
  #olderLettersIndexedUntil = 0;

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
    const claimed = await this.#claim(data.jobId, id, data.tenant ?? DEFAULT_TENANT);
    await this.trim();
    return { id, created: claimed };
  }

  /**
   * Remembers that origin job `jobId`, whose dead letter is `letterId`, was recorded, and indexes
   * the letter under `tenant`; true for the one call that does it first. Throws when the letter
   * is missing (the claim would be a lie).
   */
  async #claim(jobId: string, letterId: string, tenant: string): Promise<boolean> {
    const claimed = Number(
      await this.#redis.eval(
        CLAIM_DEAD_LETTER_SCRIPT,
        3,
        this.#originsKey,
        jobKey(this.queue, letterId),
        deadLetterTenantKey(this.queue, tenant),
        Date.now(),
        jobId,
        DEAD_LETTER_ORIGINS_KEPT_MS,
        letterId,
        DEAD_LETTER_RETENTION_MS,
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
   * Dead letters newest first; with `tenants`, only theirs, paged and counted among them. A
   * tenant's listing reads its tenants' indexes (`offset + limit` entries of each) and those
   * letters alone, never the rest of the queue.
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
    await this.#indexOlderLetters();
    for (let read = 0; ; read += 1) {
      const { total, ids } = await this.#tenantPage([...tenants], offset, limit);
      const jobs = await Promise.all(ids.map(({ id }) => this.queue.getJob(id)));
      const stale = ids.filter((_, index) => !jobs[index]);
      if (stale.length === 0 || read === STALE_REREADS) {
        const items = jobs.flatMap((job) => (job ? [toDeadLetter(job)] : []));
        return { total: total - stale.length, items };
      }
      // Removed behind the index (Bull Board, retention): forget them and read the page again.
      const pipeline = this.#redis.pipeline();
      for (const { id, tenant } of stale)
        pipeline.zrem(deadLetterTenantKey(this.queue, tenant), id);
      await pipeline.exec();
    }
  }

  /**
   * Indexes by tenant the letters recorded without the tenant index (by older versions, also
   * while a rolling deploy runs both): a pass over the whole queue, by one process at a time (a
   * `SET NX` lock), then not again for {@link TENANT_BACKFILL_REPEAT_MS} (the marker expires), so
   * a later pass catches letters older processes recorded after this one. Each process reads the
   * marker once per such period. Letters recorded meanwhile are indexed twice, which changes
   * nothing; while another process holds the lock, listings read the index as it is.
   */
  async #indexOlderLetters(): Promise<void> {
    const now = Date.now();
    if (now < this.#olderLettersIndexedUntil) return;
    const marker = deadLetterTenantsIndexedKey(this.queue);
    // -1: a marker an earlier version kept forever: pass again, and that one expires.
    const left = await this.#redis.pttl(marker);
    if (left > 0) {
      this.#olderLettersIndexedUntil = now + left;
      return;
    }
    const lock = deadLetterTenantsIndexLockKey(this.queue);
    const token = randomUUID();
    if ((await this.#redis.set(lock, token, 'PX', BACKFILL_LOCK_MS, 'NX')) !== 'OK') return;
    try {
      for (let start = 0; ; start += BACKFILL_BATCH) {
        const jobs = await this.queue.getJobs(['wait'], start, start + BACKFILL_BATCH - 1, false);
        const pipeline = this.#redis.pipeline();
        for (const job of jobs) {
          if (!job) continue;
          const tenant = (job.data as DeadLetterData).tenant ?? DEFAULT_TENANT;
          const key = deadLetterTenantKey(this.queue, tenant);
          pipeline.zadd(key, job.timestamp, String(job.id));
          pipeline.pexpire(key, DEAD_LETTER_RETENTION_MS);
        }
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
        if (jobs.length < BACKFILL_BATCH) break;
      }
      await this.#redis.set(marker, String(now), 'PX', TENANT_BACKFILL_REPEAT_MS);
      this.#olderLettersIndexedUntil = now + TENANT_BACKFILL_REPEAT_MS;
    } finally {
      await this.#redis.eval(COMPARE_AND_DELETE_SCRIPT, 1, lock, token);
    }
  }

  /**
   * Letter ids `offset`..`offset + limit - 1` among `tenants`' letters, newest first, and how
   * many they have: the first `offset + limit` of each tenant's index, merged. One round trip.
   */
  async #tenantPage(
    tenants: string[],
    offset: number,
    limit: number,
  ): Promise<{ total: number; ids: { id: string; tenant: string }[] }> {
    const oldest = Date.now() - DEAD_LETTER_RETENTION_MS;
    const pipeline = this.#redis.pipeline();
    for (const tenant of tenants) {
      const key = deadLetterTenantKey(this.queue, tenant);
      pipeline.zremrangebyscore(key, '-inf', oldest);
      pipeline.zcard(key);
      pipeline.zrevrange(key, 0, offset + limit - 1, 'WITHSCORES');
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    let total = 0;
    const entries: { id: string; tenant: string; at: number }[] = [];
    for (const [index, tenant] of tenants.entries()) {
      total += Number(results[index * 3 + 1]?.[1] ?? 0);
      const range = (results[index * 3 + 2]?.[1] ?? []) as string[];
      for (let at = 0; at < range.length; at += 2) {
        entries.push({ id: range[at] as string, tenant, at: Number(range[at + 1]) });
      }
    }
    // Newest first; ties by id, so that pages neither overlap nor skip.
    entries.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return {
      total,
      ids: entries.slice(offset, offset + limit).map(({ id, tenant }) => ({ id, tenant })),
    };
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
    // Only for a replay not added yet: a retry that finds it must not advance the tenant again.
    if ((await originQueue.getJob(opts.jobId as string)) === undefined) {
      await applyTurns(this.#redis, originQueue, [
        { opts, turn: { tenant: letter.tenant ?? DEFAULT_TENANT } },
      ]);
    }
    const replayed = await originQueue.add(letter.name, letter.data, opts);
    await indexReplay(this.#search, id, String(replayed.id), letter.data);
    // Remembered before the letter goes, so no sweep copies the origin job here again.
    await this.#remember(letter.jobId, Date.now());
    await job.remove();
    await this.#redis.zrem(deadLetterTenantKey(this.queue, letter.tenant ?? DEFAULT_TENANT), id);
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

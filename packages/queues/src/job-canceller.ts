import type { RedisConnection } from '@conveyor/redis';
import type { Job, Queue } from 'bullmq';
import { JobFinishedError } from './errors/job-finished-error.js';
import { JobNotFoundError } from './errors/job-not-found-error.js';
import { jobEndingSetArgs, readJobEndings } from './job-state.js';
import { cancelChannel, recentCancelsKey } from './redis-keys.js';
import { jobTenant } from './tenants/job-tenant.js';

/** How many recent cancellations of a queue a worker can catch up on after a reconnect. */
const RECENT_CANCELS_KEPT = 1000;

/** The answer of {@link JobCanceller.cancel}. */
export interface CancelResult {
  id: string;
  /**
   * `cancelled` when the job was removed before it ran; `active` when it runs: its worker was
   * told, and it ends `cancelled` within moments.
   */
  state: 'cancelled' | 'active';
}

/**
 * Cancels jobs of the catalog queues, whatever state they are in.
 *
 * Responsibilities:
 * - a job not started (waiting, delayed, prioritized) is removed and never runs; its ending
 *   record reads `cancelled` for the failed retention;
 * - a running job: its ending record is written, then every worker process of the queue is told
 *   on the queue's cancel channel (the one that runs it aborts the handler's signal and ends the
 *   job `cancelled`); the id is also kept among the queue's recent cancellations for workers
 *   that were disconnected;
 * - a job that ended: {@link JobFinishedError} with its state; none: {@link JobNotFoundError}.
 */
export class JobCanceller {
  constructor(private readonly redis: RedisConnection) {}

  /** Cancels job `id` (`job` as read from the queue, undefined when none). */
  async cancel(queue: Queue, id: string, job: Job | undefined): Promise<CancelResult> {
    if (!job) {
      const ending = (await readJobEndings(this.redis, queue, [id])).get(id);
      if (ending) throw new JobFinishedError(queue.name, id, ending.state);
      throw new JobNotFoundError(queue.name, id);
    }
    const state = await job.getState();
    if (state === 'completed') throw new JobFinishedError(queue.name, id, state);
    if (state === 'failed') {
      const ending = (await readJobEndings(this.redis, queue, [id])).get(id);
      throw new JobFinishedError(queue.name, id, ending?.state ?? state);
    }
    const record = {
      state: 'cancelled',
      name: job.name,
      at: Date.now(),
      createdAt: job.timestamp,
      tenant: jobTenant(job),
    } as const;
    if (state !== 'active') {
      // Recorded first: a job that is removed always reads `cancelled`.
      await this.redis.set(...jobEndingSetArgs(queue, id, record));
      try {
        await job.remove();
        return { id, state: 'cancelled' };
      } catch (error) {
        // A worker took it between the two reads: cancel it where it runs.
        if (!(error instanceof Error && /locked/.test(error.message))) throw error;
      }
    }
    const recent = recentCancelsKey(queue);
    const results = await this.redis
      .multi()
      .set(...jobEndingSetArgs(queue, id, record))
      .zadd(recent, record.at, id)
      .zremrangebyrank(recent, 0, -RECENT_CANCELS_KEPT - 1)
      .publish(cancelChannel(queue), id)
      .exec();
    for (const [error] of results ?? []) if (error) throw error;
    return { id, state: 'active' };
  }
}

import { JobCancelledError, JobExpiredError, setExpiry } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Job, JobsOptions, Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { JobLifecycle } from './job-lifecycle.js';

/** Redis is asked only for retried and expired jobs: these tests never get there. */
const noRedis = {} as RedisConnection;
const queue = { toKey: (type: string) => `t:q:${type}` } as unknown as Queue;

function jobOf(id: string, opts: JobsOptions = {}, attemptsStarted = 1): Job {
  return { id, name: 'ingest', opts, attemptsStarted } as unknown as Job;
}

function lifecycleOf(options: { rememberMs?: number; maxRemembered?: number } = {}) {
  const aborted: string[] = [];
  const lifecycle = new JobLifecycle({
    queue,
    connection: noRedis,
    abort: (id) => aborted.push(id),
    ...options,
  });
  return { lifecycle, aborted };
}

describe('JobLifecycle', () => {
  it('aborts a running job and ends it cancelled whatever it returned or threw', () => {
    const { lifecycle, aborted } = lifecycleOf();
    const job = jobOf('1');
    expect(lifecycle.beforeRun(job)).toBeUndefined();
    expect(() => lifecycle.afterRun(job)).not.toThrow();
    lifecycle.cancel('1');
    expect(aborted).toEqual(['1']);
    expect(() => lifecycle.afterRun(job)).toThrow(JobCancelledError);
    expect(lifecycle.endingOf(job, new Error('fetch aborted'))).toBeInstanceOf(JobCancelledError);
    lifecycle.end('1');
    expect(lifecycle.endingOf(job, new Error('fetch aborted'))).toBeUndefined();
  });

  it('refuses to start a job cancelled just before it was taken', () => {
    const { lifecycle, aborted } = lifecycleOf();
    lifecycle.cancel('2');
    expect(aborted).toEqual([]);
    expect(() => lifecycle.beforeRun(jobOf('2'))).toThrow(JobCancelledError);
  });

  it('remembers cancellations of jobs running elsewhere for a bounded time and number', () => {
    const { lifecycle } = lifecycleOf({ rememberMs: 1000, maxRemembered: 3 });
    lifecycle.cancel('old', 0);
    lifecycle.cancel('a', 1500);
    // 'old' is over a second old when 'a' arrives: forgotten.
    expect(lifecycle.beforeRun(jobOf('old'))).toBeUndefined();
    for (const id of ['b', 'c', 'd']) lifecycle.cancel(id, 1600);
    // At most three: the oldest, 'a', went.
    expect(lifecycle.beforeRun(jobOf('a'))).toBeUndefined();
    for (const id of ['b', 'c', 'd']) {
      expect(() => lifecycle.beforeRun(jobOf(id))).toThrow(JobCancelledError);
    }
  });

  it('lets a job with a future deadline run, and never a job past it', async () => {
    const { lifecycle } = lifecycleOf();
    const future: JobsOptions = {};
    setExpiry(future, 60_000);
    expect(lifecycle.beforeRun(jobOf('3', future))).toBeUndefined();
    const recorded: unknown[] = [];
    const redis = { set: async (...args: unknown[]) => recorded.push(args) };
    const expiring = new JobLifecycle({
      queue,
      connection: redis as unknown as RedisConnection,
      abort: () => {},
    });
    const past: JobsOptions = {};
    setExpiry(past, 1, Date.now() - 1000);
    await expect(expiring.beforeRun(jobOf('4', past))).rejects.toBeInstanceOf(JobExpiredError);
    expect(recorded).toHaveLength(1);
    expect(String((recorded[0] as string[])[1])).toContain('"state":"expired"');
  });
});

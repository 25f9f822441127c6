import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { NodeProcess } from '../processes/node-process.js';

/** The states of a job not finished yet: waiting (paused too), prioritized, delayed, running. */
const UNFINISHED = ['wait', 'prioritized', 'delayed', 'active'] as const;
type UnfinishedState = (typeof UNFINISHED)[number];

/** Jobs not finished yet, in `states` (every unfinished state by default). */
export async function unfinishedCount(
  queue: Queue,
  states: readonly UnfinishedState[] = UNFINISHED,
): Promise<number> {
  const counts = await queue.getJobCounts(...states);
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * Polls until `queue` has no unfinished job and resolves with the time that was seen
 * (`performance.now()`). Rejects after `timeoutMs`, or when `worker` exits meanwhile.
 */
export async function waitUntilDrained(
  queue: Queue,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    worker?: NodeProcess;
    /** @defaultValue every unfinished state */
    states?: readonly UnfinishedState[];
  },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const remaining = await unfinishedCount(queue, options.states);
    const seen = performance.now();
    if (remaining === 0) return seen;
    if (options.worker && !options.worker.running) {
      throw new Error(`${options.worker.name} exited:\n${options.worker.logTail()}`);
    }
    if (seen > deadline) {
      throw new Error(
        `${queue.name}: ${remaining} jobs still unfinished after ${options.timeoutMs} ms`,
      );
    }
    await sleep(options.intervalMs ?? 5);
  }
}

/**
 * Adds one job and waits until a worker completed it: proves the worker consumes, and warms its
 * code paths.
 */
export async function waitForConsumer(
  queue: Queue,
  job: { name: string; data: unknown },
  worker: NodeProcess,
  timeoutMs = 30_000,
): Promise<void> {
  const added = await queue.add(job.name, job.data);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(String(added.id));
    if (state === 'completed') return;
    if (state === 'failed') throw new Error(`${worker.name} failed the probe job ${added.id}`);
    if (!worker.running) throw new Error(`${worker.name} exited:\n${worker.logTail()}`);
    if (performance.now() > deadline) {
      throw new Error(
        `${worker.name} did not complete a job within ${timeoutMs} ms:\n${worker.logTail()}`,
      );
    }
    await sleep(20);
  }
}

/** Adds `total` jobs in batches of `batch` with `addBulk` (outside any measurement). */
export async function fill(
  queue: Queue,
  total: number,
  batch: number,
  job: (index: number) => { name: string; data: unknown },
): Promise<void> {
  for (let start = 0; start < total; start += batch) {
    const size = Math.min(batch, total - start);
    await queue.addBulk(Array.from({ length: size }, (_, offset) => job(start + offset)));
  }
}

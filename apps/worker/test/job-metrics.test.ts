import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../src/handlers/job-handler.js';
import { type InProcessWorker, TestContext } from './support/test-context.js';

describe("BullMQ's per-minute job metrics, written by the worker", () => {
  let context: TestContext;
  let worker: InProcessWorker;
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    context = await TestContext.create();
    worker = await context.startWorker({
      configureHandlers: (registry) => {
        registry.register(
          'ingestion',
          'counted',
          defineHandler({
            schema: z.object({ documentId: z.string(), outcome: z.string() }),
            async handle(data) {
              const attempt = (attempts.get(data.documentId) ?? 0) + 1;
              attempts.set(data.documentId, attempt);
              if (data.outcome === 'fails') throw new UnrecoverableError('failed for good');
              if (data.outcome === 'retried' && attempt === 1) throw new Error('try again');
              return { attempt };
            },
          }),
        );
      },
    });
  });
  afterAll(() => context?.close());

  it('counts each completed job, and each job failed for good, not the attempts retried', async () => {
    const queue = context.producer.queue('ingestion');
    const add = (documentId: string, outcome: string) =>
      queue.add(
        'counted',
        { documentId, outcome },
        { attempts: 3, backoff: { type: 'fixed', delay: 50 } },
      );
    const jobs = await Promise.all([
      add('ok-1', 'completes'),
      add('ok-2', 'retried'),
      add('bad-1', 'fails'),
    ]);
    for (const job of jobs) await context.waitForJob('ingestion', String(job.id));
    expect(attempts.get('ok-2')).toBe(2);
    // Written at most a second later while running, and at once on stop.
    await expect.poll(async () => (await queue.getMetrics('completed')).meta.count).toBe(2);
    await worker.stop();
    expect((await queue.getMetrics('completed')).meta.count).toBe(2);
    const failed = await queue.getMetrics('failed');
    expect(failed.meta.count).toBe(1);
    expect(failed.meta.prevTS).toBeGreaterThan(Date.now() - 60_000);
  });
});

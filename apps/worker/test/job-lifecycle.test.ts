import { deadLetterId, JobCanceller, readJobEndings } from '@conveyor/queues';
import { getFreePort, waitFor, waitForHttp } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../src/handlers/job-handler.js';
import { FileServer } from './support/file-server.js';
import { type InProcessWorker, TestContext } from './support/test-context.js';

const document = (documentId: string, url: string) => ({
  documentId,
  source: { kind: 'url', url },
});

describe('job lifecycle: cancel and expiry', () => {
  let context: TestContext;
  let files: FileServer;
  let canceller: JobCanceller;

  beforeAll(async () => {
    context = await TestContext.create();
    files = await FileServer.start();
    canceller = new JobCanceller(context.producerConnection);
  });
  afterAll(async () => {
    await context?.close();
    await files?.stop();
  });

  const ingestion = () => context.producer.queue('ingestion');
  const cancel = async (id: string) =>
    canceller.cancel(ingestion(), id, await ingestion().getJob(id));
  const endingOf = async (id: string) =>
    (await readJobEndings(context.producerConnection, ingestion(), [id])).get(id)?.state;

  it('aborts the fetch of a job running in another worker process; it ends cancelled', {
    timeout: 60_000,
  }, async () => {
    files.set('/never-ends.txt', { body: 'too late', delayMs: 60_000 });
    const port = await getFreePort();
    const child = context.spawnWorker('worker-cancel', {
      WORKER_QUEUES: 'ingestion',
      WORKER_HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    try {
      await cancelRemotely(port);
    } finally {
      // Its queue is served in process next.
      await child.stop(5000);
    }
  });

  async function cancelRemotely(port: number): Promise<void> {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 20_000 });
    const id = await context.enqueue(
      'ingestion',
      document('cancel:remote', files.url('/never-ends.txt')),
    );
    await waitFor(() => files.hits('/never-ends.txt') >= 1, {
      description: 'the child worker fetching the document',
    });

    const started = performance.now();
    expect(await cancel(id)).toEqual({ id, state: 'active' });
    // The fetch would hang for a minute: only the aborted signal ends the job this early.
    const job = await context.waitForJob('ingestion', id, { states: ['failed'], timeoutMs: 5000 });
    const elapsedMs = Math.round(performance.now() - started);
    console.info(`cancel of a running job in another process took effect in ${elapsedMs} ms`);

    expect(job.failedReason).toBe('cancelled');
    expect(job.attemptsMade).toBe(1);
    expect(await endingOf(id)).toBe('cancelled');
    const deadLetters = context.producer.deadLetters('ingestion');
    expect(await deadLetters.get(deadLetterId('ingestion', id))).toBeUndefined();
    await expect(cancel(id)).rejects.toMatchObject({ code: 'JOB_FINISHED', state: 'cancelled' });
  }

  describe('in process', () => {
    let worker: InProcessWorker;
    const handled: string[] = [];
    let release: () => void = () => {};
    let running: (signal: AbortSignal | undefined) => void = () => {};

    beforeAll(async () => {
      worker = await context.startWorker({
        env: { WORKER_QUEUES: 'ingestion' },
        configureHandlers: (registry) => {
          registry.register(
            'ingestion',
            'ingest',
            defineHandler({
              schema: z.object({ documentId: z.string() }).passthrough(),
              // Given a signal, which it hands to the test and otherwise ignores.
              cancellable: true,
              async handle(data, _job, handlerContext) {
                handled.push(data.documentId);
                if (data.documentId.startsWith('hold:')) {
                  running(handlerContext.signal);
                  await new Promise<void>((resolve) => {
                    release = resolve;
                  });
                }
                return { done: data.documentId };
              },
            }),
            { replace: true },
          );
        },
      });
    });

    it('marks a handler that ignores the signal cancelled and drops its result', async () => {
      const isRunning = new Promise<AbortSignal | undefined>((resolve) => {
        running = resolve;
      });
      const id = await context.enqueue('ingestion', document('hold:1', files.url('/x')));
      const signal = await isRunning;
      expect(await cancel(id)).toEqual({ id, state: 'active' });
      await waitFor(() => signal?.aborted, { description: 'the handler signal to abort' });
      // The handler ignores it and returns a result anyway.
      release();
      const job = await context.waitForJob('ingestion', id, { states: ['failed', 'completed'] });
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toBe('cancelled');
      expect(await worker.app.metricsRegistry.metrics()).toMatch(
        /conveyor_jobs_cancelled_total\{[^}]*queue="ingestion"[^}]*\} 1/,
      );
      expect(job.returnvalue ?? null).toBeNull();
      expect(await endingOf(id)).toBe('cancelled');
    });

    it('never runs a job not started by its deadline; it is a replayable dead letter', async () => {
      const before = handled.length;
      const { id } = await context.producer.enqueue('ingestion', {
        data: document('late:1', files.url('/x')),
        // Due after its deadline: it can only expire.
        options: { delay: 300, expiresInMs: 50 },
      });
      const job = await context.waitForJob('ingestion', id, { states: ['failed', 'completed'] });
      expect(await job.getState()).toBe('failed');
      expect(handled.slice(before)).toEqual([]);
      expect(await endingOf(id)).toBe('expired');
      const deadLetters = context.producer.deadLetters('ingestion');
      const letterId = deadLetterId('ingestion', id);
      expect(await deadLetters.get(letterId)).toMatchObject({ reason: 'expired', jobId: id });
      const metrics = await worker.app.metricsRegistry.metrics();
      expect(metrics).toMatch(/conveyor_jobs_expired_total\{[^}]*queue="ingestion"[^}]*\} 1/);

      const replayed = await context.producer.replayDeadLetter('ingestion', letterId);
      const again = await context.waitForJob('ingestion', replayed);
      expect(await again.getState()).toBe('completed');
      expect(handled.slice(before)).toEqual(['late:1']);
    });
  });
});

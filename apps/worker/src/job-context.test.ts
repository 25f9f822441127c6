import { Writable } from 'node:stream';
import { createLogger } from '@conveyor/telemetry';
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { JobContext, type JobContextServices } from './job-context.js';

function services(level: 'info' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line));
      callback();
    },
  });
  const queueLogger = createLogger({ name: 'worker', level, destination }).child({
    queue: 'ingestion',
  });
  const shared: JobContextServices = {
    queue: 'ingestion',
    queueLogger,
    rateLimit: async () => {},
  };
  return { shared, lines };
}

function job(attemptsMade: number): Job {
  return {
    id: '42',
    name: 'ingest',
    attemptsMade,
    opts: { priority: 3 },
    data: { orgId: 'org-a' },
  } as unknown as Job;
}

describe('JobContext', () => {
  it('binds queue, job id, name, tenant and the attempt the job started as, even logged late', async () => {
    const { shared, lines } = services('info');
    const started = job(0);
    const context = new JobContext(shared, started, 'token', undefined);
    // BullMQ counts the attempt when the job moves on, before a handler that logs late.
    (started as { attemptsMade: number }).attemptsMade = 1;
    context.logger.info('late line');
    context.logCompleted(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ queue: 'ingestion', jobId: '42', job: 'ingest', attempt: 1 });
    }
    expect(lines[1]).toMatchObject({ msg: 'job completed', durationMs: 5 });
  });

  it('writes the same completion line when the job made no child logger', async () => {
    const { shared, lines } = services('info');
    new JobContext(shared, job(2), 'token', undefined).logCompleted(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        queue: 'ingestion',
        jobId: '42',
        job: 'ingest',
        tenant: 'default',
        attempt: 3,
        durationMs: 7,
        msg: 'job completed',
      }),
    ]);
  });

  it('writes no completion line when info is off', async () => {
    const { shared, lines } = services('warn');
    new JobContext(shared, job(0), 'token', undefined).logCompleted(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(0);
  });
});

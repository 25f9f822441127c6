import { ConfigError } from '@conveyor/redis';
import { describe, expect, it } from 'vitest';
import { loadEnvironment } from './env.js';

const base = { REDIS_URL: 'redis://127.0.0.1:6390' };

describe('loadEnvironment', () => {
  it('has documented defaults', () => {
    const { worker } = loadEnvironment(base);
    expect(worker.queues).toEqual(['slack-events', 'ingestion']);
    expect(worker.concurrency).toEqual({ 'slack-events': 10, ingestion: 10 });
    expect(worker.limiters).toEqual({});
    expect(worker.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(worker.shutdownTimeoutMs).toBe(25_000);
    expect(worker.lockDurationMs).toBe(30_000);
    expect(worker.stalledIntervalMs).toBe(15_000);
    expect(worker.maxStalledCount).toBe(2);
    expect(worker.deadLetterSweepIntervalMs).toBe(30_000);
    expect(worker.logLevel).toBe('info');
    expect(worker.slack).toEqual({ apiUrl: 'https://slack.com/api/', timeoutMs: 10_000 });
    expect(worker.ingest).toMatchObject({
      outputDir: `${process.cwd()}/data/ingest`,
      allowPrivateUrls: false,
      fetchTimeoutMs: 15_000,
      maxBytes: 10 * 1024 * 1024,
      threads: 2,
      threadMaxHeapMb: 640,
    });
  });

  it('reads the per-tenant cap and rate limit of each queue, and refuses bad ones', () => {
    const { worker } = loadEnvironment({
      ...base,
      TENANT_CONCURRENCY_INGESTION: '3',
      TENANT_LIMITER_SLACK_EVENTS: '5/1000',
    });
    expect(worker.tenantConcurrency).toEqual({ ingestion: 3 });
    expect(worker.tenantLimiters).toEqual({ 'slack-events': { max: 5, duration: 1000 } });
    expect(loadEnvironment(base).worker.tenantConcurrency).toEqual({});

    let error: unknown;
    try {
      loadEnvironment({
        ...base,
        TENANT_CONCURRENCY_EMAILS: '2',
        TENANT_CONCURRENCY_INGESTION: '0',
        TENANT_LIMITER_INGESTION: 'fast',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(
      'TENANT_CONCURRENCY_EMAILS: names no queue; use one of TENANT_CONCURRENCY_SLACK_EVENTS',
    );
    expect(message).toContain(
      'TENANT_CONCURRENCY_INGESTION: must be a whole number from 1 to 1000',
    );
    expect(message).toContain('TENANT_LIMITER_INGESTION: expected <max jobs>/<milliseconds>');
  });

  it("derives the text threads' heap limit from INGEST_MAX_BYTES unless told", () => {
    const small = loadEnvironment({ ...base, INGEST_MAX_BYTES: '65536' }).worker.ingest;
    expect(small.threadMaxHeapMb).toBe(128);
    const told = loadEnvironment({ ...base, INGEST_THREAD_MAX_HEAP_MB: '48' }).worker.ingest;
    expect(told.threadMaxHeapMb).toBe(48);
    expect(() => loadEnvironment({ ...base, INGEST_THREAD_MAX_HEAP_MB: '4' })).toThrow(
      /INGEST_THREAD_MAX_HEAP_MB: must be at least 16/,
    );
  });

  it('reads queues, per-queue concurrency and limiters', () => {
    const { worker } = loadEnvironment({
      ...base,
      WORKER_QUEUES: ' ingestion , ingestion',
      WORKER_CONCURRENCY: '4',
      WORKER_CONCURRENCY_INGESTION: '2',
      WORKER_LIMITER_SLACK_EVENTS: '50/1000',
      SLACK_BOT_TOKEN: 'xoxb-1',
      INGEST_ALLOW_PRIVATE_URLS: 'true',
      INGEST_THREADS: '4',
    });
    expect(worker.queues).toEqual(['ingestion']);
    expect(worker.concurrency).toEqual({ 'slack-events': 4, ingestion: 2 });
    expect(worker.limiters).toEqual({ 'slack-events': { max: 50, duration: 1000 } });
    expect(worker.slack.botToken).toBe('xoxb-1');
    expect(worker.ingest.allowPrivateUrls).toBe(true);
    expect(worker.ingest.threads).toBe(4);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadEnvironment({
        ...base,
        WORKER_QUEUES: 'ingestion,emails',
        WORKER_CONCURRENCY_INGESTON: '2',
        WORKER_LIMITER_INGESTION: 'fast',
        WORKER_HTTP_PORT: 'x',
        SLACK_API_URL: 'ftp://slack',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
    expect(variables).toEqual([
      'SLACK_API_URL',
      'WORKER_CONCURRENCY_INGESTON',
      'WORKER_HTTP_PORT',
      'WORKER_LIMITER_INGESTION',
      'WORKER_QUEUES',
    ]);
    expect((error as ConfigError).message).toContain('unknown queue "emails"');
  });
});

import { request as httpRequest } from 'node:http';
import type { Job } from 'bullmq';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp, TOKEN } from '../../test/support/test-app.js';
import { startTestWorker } from '../../test/support/test-worker.js';

const JOBS = '/v1/queues/ingestion/jobs';

interface Seen {
  type: string;
  data: Record<string, unknown>;
}

/**
 * A plain EventSource (the `eventsource` package, as a browser's) on `path`, with the bearer
 * token; collects every event until the EventSource gives up (readyState CLOSED).
 */
function openEventSource(app: TestApp, path: string, types: string[]) {
  const seen: Seen[] = [];
  const source = new EventSource(`${app.url}${path}`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${TOKEN}` } }),
  });
  for (const type of types) {
    source.addEventListener(type, (event) => {
      seen.push({ type, data: JSON.parse((event as { data: string }).data) });
    });
  }
  const opened = new Promise<void>((resolve) => source.addEventListener('open', () => resolve()));
  return { source, seen, opened };
}

/** Opens a raw HTTP stream and hands back what it reads; `read: false` never reads the body. */
function rawStream(app: TestApp, path: string, read = true) {
  let text = '';
  let closed = false;
  const req = httpRequest(`${app.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const markClosed = () => {
    closed = true;
  };
  req.on('response', (res) => {
    if (read) {
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
    } else res.pause();
    res.on('close', markClosed);
  });
  req.on('error', markClosed);
  req.on('close', markClosed);
  req.end();
  return { text: () => text, closed: () => closed, destroy: () => req.destroy() };
}

describe('server-sent job events', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: {
        EVENTS_HEARTBEAT_MS: '100',
        EVENTS_MAX_BUFFERED_BYTES: '65536',
        MAX_EVENT_STREAMS: '4',
      },
    });
  });
  afterAll(() => app.close());

  const add = (documentId: string, opts = {}) =>
    app.producer.queue('ingestion').add('ingest', ingestData(documentId), opts);

  it('streams progress, a failure that will be retried, then completion, to a plain EventSource, and ends', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const job = await add('stream-job', { attempts: 2, backoff: { type: 'fixed', delay: 0 } });
    const { source, seen, opened } = openEventSource(app, `${JOBS}/${job.id}/events`, [
      'progress',
      'completed',
      'failed',
    ]);
    await opened;
    const worker = await startTestWorker(app, 'ingestion', async (running: Job) => {
      if (running.attemptsMade === 0) throw new Error('first attempt fails');
      await running.updateProgress(50);
      await released;
      return { chunks: 2 };
    });
    try {
      await expect
        .poll(() => seen.map((event) => event.type), { timeout: 10_000 })
        .toEqual(['failed', 'progress']);
      release();
      // The stream ends after the final event; the EventSource's reconnection gets 204 and stops.
      await expect.poll(() => source.readyState, { timeout: 10_000 }).toBe(EventSource.CLOSED);
      expect(seen).toEqual([
        {
          type: 'failed',
          data: {
            queue: 'ingestion',
            jobId: job.id,
            reason: 'first attempt fails',
            willRetry: true,
            attemptsMade: 1,
          },
        },
        { type: 'progress', data: { queue: 'ingestion', jobId: job.id, data: 50 } },
        {
          type: 'completed',
          data: { queue: 'ingestion', jobId: job.id, returnValue: { chunks: 2 } },
        },
      ]);
      expect(app.events.size.stream).toBe(0);

      // A client that comes after the end gets the final event at once.
      const late = openEventSource(app, `${JOBS}/${job.id}/events`, ['completed']);
      await expect.poll(() => late.source.readyState, { timeout: 10_000 }).toBe(EventSource.CLOSED);
      expect(late.seen).toEqual([seen[2]]);
    } finally {
      source.close();
      await worker.close();
    }
  });

  it('streams a failure for good as the final event', async () => {
    const job = await add('stream-fails', { attempts: 1 });
    const { source, seen, opened } = openEventSource(app, `${JOBS}/${job.id}/events`, ['failed']);
    await opened;
    const worker = await startTestWorker(app, 'ingestion', async () => {
      throw new Error('gone for good');
    });
    try {
      await expect.poll(() => source.readyState, { timeout: 10_000 }).toBe(EventSource.CLOSED);
      expect(seen).toEqual([
        {
          type: 'failed',
          data: { queue: 'ingestion', jobId: job.id, reason: 'gone for good', willRetry: false },
        },
      ]);
    } finally {
      source.close();
      await worker.close();
    }
  });

  it('streams every job of a queue', async () => {
    const { source, seen, opened } = openEventSource(app, '/v1/queues/ingestion/events', [
      'completed',
    ]);
    await opened;
    const worker = await startTestWorker(app, 'ingestion', async (job: Job) => job.data.documentId);
    try {
      const jobs = await Promise.all([add('queue-a'), add('queue-b')]);
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(2);
      expect(seen.map((event) => event.data.jobId).sort()).toEqual(
        jobs.map((job) => job.id).sort(),
      );
      expect(seen.map((event) => event.data.returnValue).sort()).toEqual(['queue-a', 'queue-b']);
    } finally {
      source.close();
      await worker.close();
    }
  });

  it('sends heartbeat comments while idle', async () => {
    const job = await add('stream-idle');
    const stream = rawStream(app, `${JOBS}/${job.id}/events`);
    try {
      await expect
        .poll(() => stream.text().split(': keep-alive\n\n').length - 1, { timeout: 5000 })
        .toBeGreaterThanOrEqual(2);
    } finally {
      stream.destroy();
    }
  });

  it('drops a client that does not read once its unsent bytes pass the bound', async () => {
    const job = await add('stream-slow');
    const stream = rawStream(app, `${JOBS}/${job.id}/events`, false);
    await expect.poll(() => app.events.size.stream, { timeout: 5000 }).toBe(1);
    const big = 'x'.repeat(64 * 1024);
    // Far more than the socket buffers hold: the API must drop the client, not keep it all.
    for (let i = 0; i < 200 && !stream.closed(); i++) {
      await job.updateProgress({ i, big });
    }
    await expect.poll(() => stream.closed(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => app.events.size.stream, { timeout: 5000 }).toBe(0);
  });

  it('answers 404 for an unknown job and 503 past MAX_EVENT_STREAMS', async () => {
    const unknown = await app.request(`${JOBS}/no-such-job/events`);
    expect(unknown.status).toBe(404);
    expect(app.events.size.stream).toBe(0);

    const streams = Array.from({ length: 4 }, () => rawStream(app, '/v1/queues/ingestion/events'));
    try {
      await expect.poll(() => app.events.size.stream, { timeout: 5000 }).toBe(4);
      const refused = await app.request('/v1/queues/ingestion/events');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await errorOf(refused)).error.code).toBe('SUBSCRIBER_LIMIT');
    } finally {
      for (const stream of streams) stream.destroy();
    }
    await expect.poll(() => app.events.size.stream, { timeout: 5000 }).toBe(0);
  });
});

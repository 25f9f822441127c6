import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort, waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkRecord, ChunkSink } from '../src/ingestion/chunk-sink.js';
import { sha256 } from '../src/ingestion/content-hash.js';
import { JsonlFileSink } from '../src/ingestion/jsonl-file-sink.js';
import { normalizeText } from '../src/ingestion/normalize-text.js';
import { safeFileName } from '../src/ingestion/safe-file-name.js';
import { FileServer } from './support/file-server.js';
import { type InProcessWorker, logsWithMessage, TestContext } from './support/test-context.js';

let files: FileServer;

beforeAll(async () => {
  files = await FileServer.start();
});
afterAll(() => files?.stop());

function prose(paragraphs: number, seed = 'queue'): string {
  return Array.from({ length: paragraphs }, (_, p) =>
    Array.from(
      { length: 5 },
      (_, s) => `Paragraph ${p} sentence ${s} explains how a ${seed} moves work between processes.`,
    ).join(' '),
  ).join('\n\n');
}

async function readChunks(context: TestContext, fileName: string): Promise<ChunkRecord[]> {
  const text = await readFile(join(context.outputDir, fileName), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ChunkRecord);
}

function reassemble(chunks: ChunkRecord[]): string {
  let text = '';
  for (const chunk of chunks) text += chunk.text.slice(text.length - chunk.start);
  return text;
}

describe('ingestion', () => {
  let context: TestContext;
  let worker: InProcessWorker;

  beforeAll(async () => {
    context = await TestContext.create({ INGEST_MAX_BYTES: '200000' });
    worker = await context.startWorker({ env: { WORKER_QUEUES: 'ingestion' } });
  });
  afterAll(() => context?.close());

  it('chunks inline text into a JSON Lines file whose chunks reassemble to the whole text', async () => {
    const text = `${prose(12)}\r\n\r\n\r\nTrailing   \r\n`;
    const id = await context.enqueue('ingestion', {
      documentId: 'org:42:handbook',
      source: { kind: 'inline', text },
    });
    const job = await context.waitForJob('ingestion', id);
    const normalized = normalizeText(text);

    expect(await job.getState()).toBe('completed');
    expect(job.progress).toBe(100);
    const chunks = await readChunks(context, 'org%3A42%3Ahandbook.jsonl');
    expect(job.returnvalue).toEqual({
      chunks: chunks.length,
      bytes: Buffer.byteLength(text),
      sha256: sha256(normalized),
      skipped: false,
    });
    expect(chunks.length).toBeGreaterThan(3);
    expect(reassemble(chunks)).toBe(normalized);
    chunks.forEach((chunk, index) => {
      expect(chunk).toMatchObject({
        documentId: 'org:42:handbook',
        index,
        sha256: sha256(normalized),
      });
      expect(chunk.text).toBe(normalized.slice(chunk.start, chunk.end));
      expect(chunk.text.length).toBeLessThanOrEqual(1000);
    });
  });

  it('fetches HTML over HTTP and extracts its text', async () => {
    files.set('/page.html', {
      contentType: 'text/html; charset=utf-8',
      body: '<html><body><h2>Guide</h2><p>Workers <b>take</b> jobs.</p><script>x()</script></body></html>',
    });
    const id = await context.enqueue('ingestion', {
      documentId: 'page',
      source: { kind: 'url', url: files.url('/page.html') },
    });
    const job = await context.waitForJob('ingestion', id);
    expect(job.returnvalue).toMatchObject({ chunks: 1, skipped: false });
    const [chunk] = await readChunks(context, 'page.jsonl');
    expect(chunk?.text).toBe('Guide\n\nWorkers take jobs.');
  });

  it('skips a document unchanged since its last ingest, and re-ingests a changed one', async () => {
    const source = { kind: 'inline', text: prose(3), mediaType: 'text/markdown' } as const;
    const first = await context.waitForJob(
      'ingestion',
      await context.enqueue('ingestion', { documentId: 'stable', source }),
    );
    const written = await stat(join(context.outputDir, 'stable.jsonl'));

    // Cosmetic differences do not count as a change.
    const again = { ...source, text: `${source.text.replaceAll('\n', '\r\n')}\n\n` };
    const second = await context.waitForJob(
      'ingestion',
      await context.enqueue('ingestion', { documentId: 'stable', source: again }),
    );
    expect(second.returnvalue).toEqual({
      ...first.returnvalue,
      bytes: second.returnvalue.bytes,
      skipped: true,
    });
    expect((await stat(join(context.outputDir, 'stable.jsonl'))).mtimeMs).toBe(written.mtimeMs);

    const changed = { ...source, text: `${source.text}\n\nOne more paragraph.` };
    const third = await context.waitForJob(
      'ingestion',
      await context.enqueue('ingestion', { documentId: 'stable', source: changed }),
    );
    expect(third.returnvalue.skipped).toBe(false);
    expect(third.returnvalue.sha256).not.toBe(first.returnvalue.sha256);
    const chunks = await readChunks(context, 'stable.jsonl');
    expect(reassemble(chunks)).toBe(normalizeText(changed.text));
  });

  it.each([
    [
      'an unsupported media type',
      { contentType: 'application/pdf', body: '%PDF' },
      'Unsupported media type "application/pdf"',
    ],
    ['a 404', { status: 404, body: 'gone' }, 'HTTP 404'],
    [
      'HTML nested 20,000 deep',
      { contentType: 'text/html', body: '<div>'.repeat(20_000) },
      'more than 512 levels deep',
    ],
    ['a body over INGEST_MAX_BYTES', { body: 'x'.repeat(250_000) }, 'larger than INGEST_MAX_BYTES'],
    [
      'a streamed body over INGEST_MAX_BYTES',
      { body: 'y'.repeat(250_000), chunked: true },
      'larger than INGEST_MAX_BYTES',
    ],
  ])('fails %s unrecoverably: dead letter after one attempt', async (label, file, reason) => {
    const path = `/bad-${label.replaceAll(' ', '-')}`;
    files.set(path, file);
    const id = await context.enqueue('ingestion', {
      documentId: `bad-${id8()}`,
      source: { kind: 'url', url: files.url(path) },
    });
    const job = await context.waitForJob('ingestion', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    const letter = await context.producer.deadLetters('ingestion').get(`ingestion-${id}`);
    expect(letter).toMatchObject({ attemptsMade: 1, unrecoverable: true });
    expect(letter?.failedReason).toContain(reason);
  });

  it('writes a document whose id is the longest the catalog allows', async () => {
    const documentId = ':'.repeat(200);
    const id = await context.enqueue('ingestion', {
      documentId,
      source: { kind: 'inline', text: 'Colons all the way.' },
    });
    const job = await context.waitForJob('ingestion', id);
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    const [chunk] = await readChunks(context, `${safeFileName(documentId)}.jsonl`);
    expect(chunk).toMatchObject({ documentId, text: 'Colons all the way.' });
  });

  it('retries a source that is temporarily unavailable, then succeeds', async () => {
    files.sequence('/flaky.txt', [{ status: 503 }, { body: 'Available now.' }]);
    const job = await context.producer
      .queue('ingestion')
      .add(
        'ingest',
        { documentId: 'flaky', source: { kind: 'url', url: files.url('/flaky.txt') } },
        { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
      );
    const done = await context.waitForJob('ingestion', String(job.id));
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(2);
    expect(files.hits('/flaky.txt')).toBe(2);
  });

  it('sends a job that exhausts its attempts to dead letters', async () => {
    files.set('/down.txt', { status: 503 });
    const job = await context.producer
      .queue('ingestion')
      .add(
        'ingest',
        { documentId: 'down', source: { kind: 'url', url: files.url('/down.txt') } },
        { attempts: 2, backoff: { type: 'fixed', delay: 50 } },
      );
    const done = await context.waitForJob('ingestion', String(job.id));
    expect(await done.getState()).toBe('failed');
    expect(done.attemptsMade).toBe(2);
    const letter = await context.producer.deadLetters('ingestion').get(`ingestion-${job.id}`);
    expect(letter).toMatchObject({ attemptsMade: 2, unrecoverable: false, data: job.data });
    expect(logsWithMessage(worker.logs, 'job attempt failed; will retry').length).toBeGreaterThan(
      0,
    );
  });

  it('stops a fetch in progress when the job is cancelled', async () => {
    files.set('/slow.txt', { body: 'too late', delayMs: 30_000 });
    const job = await context.producer
      .queue('ingestion')
      .add(
        'ingest',
        { documentId: 'slow', source: { kind: 'url', url: files.url('/slow.txt') } },
        { attempts: 1 },
      );
    const id = String(job.id);
    await waitFor(() => files.hits('/slow.txt') === 1, {
      timeoutMs: 10_000,
      description: 'the fetch to start',
    });
    expect(worker.app.abortJob('ingestion', id, 'cancelled by the test')).toBe(true);
    const done = await context.waitForJob('ingestion', id, { timeoutMs: 10_000 });
    expect(await done.getState()).toBe('failed');
    expect(done.attemptsMade).toBe(1);
  });
});

describe('private addresses with INGEST_ALLOW_PRIVATE_URLS=false', () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create({ INGEST_ALLOW_PRIVATE_URLS: 'false' });
    await context.startWorker({ env: { WORKER_QUEUES: 'ingestion' } });
  });
  afterAll(() => context?.close());

  it.each([
    ['a loopback literal', (port: number) => `http://127.0.0.1:${port}/secret.txt`],
    ['a name that resolves to loopback', (port: number) => `http://localhost:${port}/secret.txt`],
    ['an IPv6 loopback literal', (port: number) => `http://[::1]:${port}/secret.txt`],
    [
      'an IPv4-mapped IPv6 literal',
      (port: number) => `http://[::ffff:127.0.0.1]:${port}/secret.txt`,
    ],
  ])('refuses %s without connecting', async (_label, url) => {
    files.set('/secret.txt', { body: 'internal' });
    const before = files.hits('/secret.txt');
    const id = await context.enqueue('ingestion', {
      documentId: `secret-${id8()}`,
      source: { kind: 'url', url: url(files.port) },
    });
    const job = await context.waitForJob('ingestion', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/Refusing to fetch from .*non-public address/);
    expect(files.hits('/secret.txt')).toBe(before);
  });
});

describe('a heavy document', () => {
  let context: TestContext;
  let httpPort: number;

  beforeAll(async () => {
    context = await TestContext.create();
    httpPort = await getFreePort();
    await context.startWorker({
      env: { WORKER_QUEUES: 'ingestion', WORKER_HTTP_PORT: String(httpPort) },
    });
  });
  afterAll(() => context?.close());

  it('leaves /healthz answering promptly while it is processed', { timeout: 60_000 }, async () => {
    // About 2.4 MiB of unclosed paragraphs: seconds of html-to-text, within INGEST_MAX_BYTES.
    files.set('/heavy.html', {
      contentType: 'text/html',
      body: '<p>Unclosed paragraph '.repeat(110_000),
    });
    const health = `http://127.0.0.1:${httpPort}/healthz`;
    const id = await context.enqueue('ingestion', {
      documentId: 'heavy',
      source: { kind: 'url', url: files.url('/heavy.html') },
    });
    const answers: Array<{ start: number; end: number }> = [];
    const queue = context.producer.queue('ingestion');
    while (!['completed', 'failed'].includes(await queue.getJobState(id))) {
      const start = Date.now();
      const response = await fetch(health);
      expect(response.status).toBe(200);
      answers.push({ start, end: Date.now() });
    }
    const job = await context.waitForJob('ingestion', id);
    expect(await job.getState()).toBe('completed');
    // On the event loop the conversion, most of the job, would answer nothing while it ran:
    // whole quarters of the job without an answer. In a thread, every quarter has answers (a
    // count: on a loaded machine there are still dozens per quarter).
    const { processedOn = 0, finishedOn = 0 } = job;
    const quarter = (finishedOn - processedOn) / 4;
    const perQuarter = [0, 1, 2, 3].map((q) => {
      const from = processedOn + q * quarter;
      return answers.filter((a) => a.start >= from && a.end <= from + quarter).length;
    });
    for (const count of perQuarter) expect(count).toBeGreaterThanOrEqual(3);
  });
});

describe("a document past the text threads' heap limit", () => {
  let context: TestContext;

  beforeAll(async () => {
    context = await TestContext.create({ INGEST_THREAD_MAX_HEAP_MB: '32', INGEST_THREADS: '1' });
    await context.startWorker({ env: { WORKER_QUEUES: 'ingestion' } });
  });
  afterAll(() => context?.close());

  it('fails for good with the reason, and the next document is ingested', async () => {
    files.set('/too-big-for-32mb.html', {
      contentType: 'text/html',
      body: '<p>Unclosed paragraph '.repeat(110_000),
    });
    const heavy = await context.enqueue('ingestion', {
      documentId: 'oom',
      source: { kind: 'url', url: files.url('/too-big-for-32mb.html') },
    });
    const next = await context.enqueue('ingestion', {
      documentId: 'after-oom',
      source: { kind: 'inline', text: 'Still here.' },
    });
    const failed = await context.waitForJob('ingestion', heavy);
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(1);
    const letter = await context.producer.deadLetters('ingestion').get(`ingestion-${heavy}`);
    expect(letter).toMatchObject({ attemptsMade: 1, unrecoverable: true });
    expect(letter?.failedReason).toContain("text thread's 32 MB heap (INGEST_THREAD_MAX_HEAP_MB)");
    const done = await context.waitForJob('ingestion', next);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toMatchObject({ chunks: 1, skipped: false });
  });
});

/** A sink that is slow and records how many writes of one document overlap. */
class OverlapSink implements ChunkSink {
  active = 0;
  maxActive = 0;
  writes = 0;
  readonly #inner: JsonlFileSink;

  constructor(dir: string) {
    this.#inner = new JsonlFileSink(dir);
  }
  prepare() {
    return this.#inner.prepare();
  }
  has(documentId: string) {
    return this.#inner.has(documentId);
  }
  async write(documentId: string, chunks: ChunkRecord[]) {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await sleep(150);
      await this.#inner.write(documentId, chunks);
      this.writes += 1;
    } finally {
      this.active -= 1;
    }
  }
}

describe('two workers and one document', () => {
  it('never ingest it concurrently: one waits for the lock without failing', async () => {
    const context = await TestContext.create({ INGEST_LOCK_TTL_MS: '5000' });
    try {
      const sink = new OverlapSink(context.outputDir);
      // One job at a time per worker, so both workers are busy with the document at once.
      const env = { WORKER_QUEUES: 'ingestion', WORKER_CONCURRENCY_INGESTION: '1' };
      const workers = [
        await context.startWorker({ env, sink }),
        await context.startWorker({ env, sink }),
      ];
      const texts = [1, 2, 3, 4].map((n) => prose(2, `version-${n}`));
      const ids = await Promise.all(
        texts.map((text) =>
          context.enqueue('ingestion', {
            documentId: 'shared-doc',
            source: { kind: 'inline', text },
          }),
        ),
      );
      const jobs = await Promise.all(ids.map((id) => context.waitForJob('ingestion', id)));

      for (const job of jobs) {
        expect(await job.getState()).toBe('completed');
        expect(job.attemptsMade).toBe(1);
      }
      expect(sink.writes).toBe(4);
      expect(sink.maxActive).toBe(1);
      const postponed = workers.flatMap((w) =>
        logsWithMessage(w.logs, 'document is being ingested elsewhere; postponed'),
      );
      expect(postponed.length).toBeGreaterThan(0);
      // Both workers took part.
      for (const worker of workers) {
        expect(worker.logs.some((line) => String(line.msg).startsWith('document'))).toBe(true);
      }
    } finally {
      await context.close();
    }
  });
});

function id8(): string {
  return Math.random().toString(36).slice(2, 10);
}

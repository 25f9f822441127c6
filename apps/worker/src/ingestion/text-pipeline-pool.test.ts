import { UnrecoverableError } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { DocumentOutOfMemoryError } from '../errors/document-out-of-memory-error.js';
import { DocumentTooDeepError } from '../errors/document-too-deep-error.js';
import { processText } from './text-pipeline.js';
import { TextPipelinePool } from './text-pipeline-pool.js';

/** About 2 MiB of element-dense HTML: seconds of html-to-text, legal and under every limit. */
const HEAVY_HTML = '<p>Unclosed paragraph '.repeat(100_000);

let pool: TextPipelinePool | undefined;
afterEach(() => pool?.close());

/** How many times a 1 ms interval timer fired while `work` ran: 0 if it held the event loop. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

describe('TextPipelinePool', () => {
  it('gives the same result as processing on the event loop', async () => {
    pool = new TextPipelinePool({ threads: 1 });
    const input = {
      raw: '<h1>Title</h1><p>One.   </p>\r\n\r\n\r\n<p>Two 😀.</p>'.repeat(200),
      mediaType: 'text/html' as const,
      chunking: { maxChars: 300, overlapChars: 30 },
    };
    expect(await pool.run(input)).toEqual(processText(input));
  });

  it('fails a document nested too deep permanently, and keeps its thread', async () => {
    pool = new TextPipelinePool({ threads: 1 });
    const run = pool.run({ raw: '<div>'.repeat(20_000), mediaType: 'text/html' });
    await expect(run).rejects.toBeInstanceOf(DocumentTooDeepError);
    await expect(run).rejects.toBeInstanceOf(UnrecoverableError);
    expect(pool.size).toBe(1);
    expect((await pool.run({ raw: 'ok', mediaType: 'text/plain' })).text).toBe('ok');
  });

  it('keeps the event loop free while a thread works', async () => {
    pool = new TextPipelinePool({ threads: 1 });
    // Warm: the thread's start-up is not the subject.
    await pool.run({ raw: '<p>x</p>', mediaType: 'text/html' });
    // On the event loop, the conversion is synchronous: no timer can fire until it ends, so a
    // pipeline that ran there would count 0. Counts, not durations: they hold on a loaded
    // machine, where the conversion (a second or more of CPU) leaves room for hundreds.
    expect(
      await ticksDuring(async () => processText({ raw: '<p>x</p>', mediaType: 'text/html' })),
    ).toBe(0);
    const ticks = await ticksDuring(() =>
      (pool as TextPipelinePool).run({ raw: HEAVY_HTML, mediaType: 'text/html' }),
    );
    expect(ticks).toBeGreaterThanOrEqual(20);
  });

  it('fails a document that outgrows the heap limit for good, replaces its thread, spares the rest', async () => {
    pool = new TextPipelinePool({ threads: 2, maxHeapMb: 32 });
    const heavy = pool.run({ raw: HEAVY_HTML, mediaType: 'text/html' });
    const others = [1, 2, 3].map((n) => pool?.run({ raw: `doc ${n}`, mediaType: 'text/plain' }));
    await expect(heavy).rejects.toBeInstanceOf(DocumentOutOfMemoryError);
    await expect(heavy).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(heavy).rejects.toThrow(/32 MB heap \(INGEST_THREAD_MAX_HEAP_MB\)/);
    expect((await Promise.all(others)).map((result) => result?.text)).toEqual([
      'doc 1',
      'doc 2',
      'doc 3',
    ]);
    expect((await pool.run({ raw: 'after', mediaType: 'text/plain' })).text).toBe('after');
    expect(pool.size).toBeGreaterThanOrEqual(1);
  });

  it('stops a cancelled document at once and runs the next one', async () => {
    pool = new TextPipelinePool({ threads: 1 });
    const controller = new AbortController();
    const heavy = pool.run(
      { raw: HEAVY_HTML.repeat(4), mediaType: 'text/html' },
      controller.signal,
    );
    const queued = pool.run({ raw: 'next', mediaType: 'text/plain' });
    controller.abort(new Error('cancelled by the test'));
    await expect(heavy).rejects.toThrow('cancelled by the test');
    expect((await queued).text).toBe('next');
  });
});

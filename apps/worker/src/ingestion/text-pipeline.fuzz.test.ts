import type { IngestMediaType } from '@conveyor/queues';
import { Prng } from '@conveyor/testing';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DocumentTooDeepError } from '../errors/document-too-deep-error.js';
import type { ChunkTextOptions, TextChunk } from './chunk-text.js';
import { MAX_HTML_DEPTH } from './extract-text.js';
import { normalizeText } from './normalize-text.js';
import { processText } from './text-pipeline.js';

/** `MAX_JOB_BYTES`'s default: the largest inline document. */
const INLINE_LIMIT = 256 * 1024;
/** `INGEST_MAX_BYTES`'s default: the largest fetched document. */
const URL_LIMIT = 10 * 1024 * 1024;
/** How much slower than a normal document of the same size a pathological one may be. */
const MAX_RATIO = 5;

/** The normalisation before it was made linear: the reference for its output. */
function referenceNormalize(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[ \t\f\v]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `unit` repeated to exactly `length` characters. */
function fill(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

const PROSE =
  'Workers take jobs from the queue and report progress. A failed job is retried later.\n\n';
const PROSE_HTML = '<p>Workers take jobs from the <b>queue</b> and report progress.</p>\n';

/** Shortest of `runs` timings of `work`, in milliseconds: the least disturbed by other load. */
function fastest(work: () => unknown, runs: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Runs the pipeline and returns its time, failures included (a refusal is an answer too). */
function pipelineTime(raw: string, mediaType: IngestMediaType, runs = 1): number {
  return fastest(() => {
    try {
      processText({ raw, mediaType });
    } catch (error) {
      if (!(error instanceof UnrecoverableError)) throw error;
    }
  }, runs);
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The invariants of a chunking, whatever the text. */
function expectValidChunks(text: string, chunks: TextChunk[], options: Required<ChunkTextOptions>) {
  if (text.length === 0) {
    expect(chunks).toEqual([]);
    return;
  }
  expect(chunks[0]?.start).toBe(0);
  expect(chunks.at(-1)?.end).toBe(text.length);
  chunks.forEach((chunk, index) => {
    expect(chunk.index).toBe(index);
    expect(chunk.text).toBe(text.slice(chunk.start, chunk.end));
    expect(chunk.end).toBeGreaterThan(chunk.start);
    expect(chunk.text.length).toBeLessThanOrEqual(options.maxChars);
    // Never half a surrogate pair on either side.
    expect(isHigh(text.charCodeAt(chunk.end - 1)) && chunk.end < text.length).toBe(false);
    expect(chunk.start > 0 && isHigh(text.charCodeAt(chunk.start - 1))).toBe(false);
    const next = chunks[index + 1];
    if (next) {
      // Covered without gaps, moving forward, overlapping by at most overlapChars.
      expect(next.start).toBeGreaterThan(chunk.start);
      expect(next.start).toBeLessThanOrEqual(chunk.end);
      expect(chunk.end - next.start).toBeLessThanOrEqual(options.overlapChars);
      // Only the last chunk may be shorter (by one when a hard cut keeps a surrogate pair whole).
      expect(chunk.text.length).toBeGreaterThanOrEqual(options.minChars - 1);
    }
  });
}

describe('pathological documents at the size limits', () => {
  it.each([
    ['"a", spaces, "x" (quadratic trailing-space regex)', `a${fill(' ', INLINE_LIMIT - 2)}x`],
    ['tabs, form feeds and no-break spaces', `a${fill('\t \f\u00a0\u3000', INLINE_LIMIT - 2)}x`],
    ['spaces before every line end', fill('a    \n', INLINE_LIMIT)],
    ['CRLF and CR mixes', fill('a\r\n\r\r\n \r', INLINE_LIMIT)],
    ['one word without a space', fill('x', INLINE_LIMIT)],
  ])('inline %s takes at most 5x the time of prose', (_label, adversarial) => {
    const normal = fill(PROSE, adversarial.length);
    const normalMs = pipelineTime(normal, 'text/plain', 5);
    const adversarialMs = pipelineTime(adversarial, 'text/plain', 5);
    expect(adversarialMs).toBeLessThanOrEqual(normalMs * MAX_RATIO);
  });

  it('fetched plain text at INGEST_MAX_BYTES takes at most 5x the time of prose', {
    timeout: 180_000,
  }, () => {
    const normalMs = pipelineTime(fill(PROSE, URL_LIMIT), 'text/plain', 2);
    const cases = {
      'words, no newline (window-bounded break search)': fill('word ', URL_LIMIT),
      'one 10 MiB token': fill('x', URL_LIMIT),
      'newlines only': fill('\n', URL_LIMIT),
      'spaces then one letter': `${fill(' ', URL_LIMIT - 1)}x`,
      'sentence ends and closing brackets': fill('a.)))))) ', URL_LIMIT),
      'emoji and combining marks': fill('😀e\u0301 ', URL_LIMIT),
    };
    for (const [label, text] of Object.entries(cases)) {
      expect(pipelineTime(text, 'text/plain', 2), label).toBeLessThanOrEqual(normalMs * MAX_RATIO);
    }
  });

  it('fetched HTML nested past the limit is refused faster than prose HTML is converted', {
    timeout: 180_000,
  }, () => {
    const deep = fill('<div>', URL_LIMIT);
    expect(() => processText({ raw: deep, mediaType: 'text/html' })).toThrow(DocumentTooDeepError);
    const normalMs = pipelineTime(fill(PROSE_HTML, URL_LIMIT), 'text/html');
    expect(pipelineTime(deep, 'text/html')).toBeLessThanOrEqual(normalMs * MAX_RATIO);
  });

  it('HTML nested to the limit, over and over, takes at most 5x the time of prose HTML', {
    timeout: 120_000,
  }, () => {
    const size = 1024 * 1024;
    const unit = `${'<div>'.repeat(MAX_HTML_DEPTH)}x${'</div>'.repeat(MAX_HTML_DEPTH)}`;
    const normalMs = pipelineTime(fill(PROSE_HTML, size), 'text/html', 2);
    const deepMs = pipelineTime(unit.repeat(Math.floor(size / unit.length)), 'text/html', 2);
    expect(deepMs).toBeLessThanOrEqual(normalMs * MAX_RATIO);
  });
});

/** One generated pathological piece of text. */
function piece(random: Prng): string {
  const run = (unit: string, max: number) => unit.repeat(1 + random.int(max));
  switch (random.int(12)) {
    case 0:
      return run(' ', 1500);
    case 1:
      return run(random.pick(['\t', '\f', '\v', '\u00a0', '\u2003', '\u3000']), 300);
    case 2:
      return run('\n', 50);
    case 3:
      return run(random.pick(['\r\n', '\r', '\n\r', ' \r\n']), 20);
    case 4:
      return run(random.pick(['😀', 'e\u0301', '\u2028', '\u2029', '\uFEFF', 'ﬁ', '𝔘']), 40);
    case 5:
      return run('x', 2500);
    case 6:
      return run(random.pick(['. ', '!) ', '?” ', '… ']), 10);
    case 7:
      return random.pick(['&amp;', '&nbsp;', '<br>', '<p>', '</p>', '<!-- c -->', '<', '>']);
    default:
      return `${random.pick(['Queues', 'move', 'work', 'between', 'processes', 'safely'])} `;
  }
}

/** HTML of nested `<div>`s (depth known) around pathological text, plus prose beside it. */
function nestedHtml(depth: number, body: string): string {
  return `<html><body><p>Intro.</p>${'<div>'.repeat(depth)}${body}${'</div>'.repeat(depth)}</body></html>`;
}

describe('fuzzed pipeline (extract, normalise, chunk)', () => {
  it('keeps its invariants on generated pathological texts', { timeout: 120_000 }, () => {
    const random = new Prng(20261201);
    let pathologicalMs = 0;
    let normalMs = 0;
    for (let round = 0; round < 150; round++) {
      let raw = '';
      const pieces = 1 + random.int(60);
      for (let count = 0; count < pieces; count++) raw += piece(random);
      const html = random.int(3) === 0;
      const depth = html ? random.pick([1, 50, MAX_HTML_DEPTH - 70, MAX_HTML_DEPTH + 1, 5000]) : 0;
      // html, body and the divs: depth + 2, and each of the 60 pieces at most may open one more.
      const tooDeep = depth + 2 > MAX_HTML_DEPTH;
      const source = html ? nestedHtml(depth, raw) : raw;
      const mediaType: IngestMediaType = html ? 'text/html' : 'text/plain';
      const maxChars = random.pick([40, 120, 1000]);
      const overlapChars = random.int(Math.floor(maxChars / 2));
      const minChars = overlapChars + 1 + random.int(maxChars - overlapChars);
      const chunking = { maxChars, overlapChars, minChars };

      const started = performance.now();
      let result: ReturnType<typeof processText> | undefined;
      try {
        result = processText({ raw: source, mediaType, chunking });
      } catch (error) {
        expect(error).toBeInstanceOf(DocumentTooDeepError);
      }
      pathologicalMs += performance.now() - started;
      const normal = html
        ? nestedHtml(1, fill('Workers <b>take</b> jobs. ', raw.length))
        : fill(PROSE, source.length);
      normalMs += pipelineTime(normal, mediaType);

      expect(result === undefined).toBe(tooDeep);
      if (!result) continue;
      const { text, chunks } = result;
      expect(normalizeText(text)).toBe(text);
      if (!html) expect(text).toBe(referenceNormalize(source));
      expect(text).not.toMatch(/[ \t\f\v]$|[ \t\f\v]\n|\n{3}|\r|^\s|\s$/);
      expectValidChunks(text, chunks, chunking);
    }
    expect(pathologicalMs).toBeLessThanOrEqual(normalMs * MAX_RATIO);
  });
});

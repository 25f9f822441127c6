import { describe, expect, it } from 'vitest';
import { chunkText, type TextChunk } from './chunk-text.js';

/** Puts overlapping chunks back together. */
function reassemble(chunks: TextChunk[]): string {
  let text = '';
  for (const chunk of chunks) {
    expect(chunk.start).toBeLessThanOrEqual(text.length);
    text += chunk.text.slice(text.length - chunk.start);
  }
  return text;
}

function sentence(index: number): string {
  return `Sentence number ${index} talks about queues, workers and the way jobs move between them.`;
}

describe('chunkText', () => {
  it('returns nothing for an empty text and one chunk for a short one', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('A short text.')).toEqual([
      { index: 0, text: 'A short text.', start: 0, end: 13 },
    ]);
  });

  it('cuts long prose into ~1,000-character chunks on sentence ends, ~100 characters of overlap', () => {
    const text = Array.from({ length: 80 }, (_, i) => sentence(i)).join(' ');
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(5);
    expect(reassemble(chunks)).toBe(text);
    for (const [index, chunk] of chunks.entries()) {
      expect(chunk.index).toBe(index);
      expect(chunk.text).toBe(text.slice(chunk.start, chunk.end));
      expect(chunk.text.length).toBeLessThanOrEqual(1000);
      if (index < chunks.length - 1) {
        expect(chunk.text.length).toBeGreaterThanOrEqual(500);
        // Ends right after a sentence.
        expect(chunk.text).toMatch(/\.\s*$/);
        const overlap = chunk.end - (chunks[index + 1]?.start ?? 0);
        expect(overlap).toBeGreaterThan(20);
        expect(overlap).toBeLessThanOrEqual(100);
      }
    }
  });

  it('prefers paragraph boundaries', () => {
    const paragraph = (n: number) =>
      Array.from({ length: 4 }, (_, i) => sentence(n * 10 + i)).join(' ');
    const text = Array.from({ length: 10 }, (_, n) => paragraph(n)).join('\n\n');
    const chunks = chunkText(text);
    expect(reassemble(chunks)).toBe(text);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text.endsWith('\n\n')).toBe(true);
  });

  it('falls back to words, then to hard cuts that keep surrogate pairs whole', () => {
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const wordChunks = chunkText(words);
    expect(reassemble(wordChunks)).toBe(words);
    for (const chunk of wordChunks.slice(0, -1)) expect(chunk.text.endsWith(' ')).toBe(true);

    const emoji = '😀'.repeat(1500);
    const emojiChunks = chunkText(emoji);
    expect(reassemble(emojiChunks)).toBe(emoji);
    for (const chunk of emojiChunks) expect(chunk.text.length % 2).toBe(0);
  });

  it('rejects options that could not make progress', () => {
    expect(() => chunkText('x', { maxChars: 100, overlapChars: 60, minChars: 50 })).toThrow(
      RangeError,
    );
  });
});

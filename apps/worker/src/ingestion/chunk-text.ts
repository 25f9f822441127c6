/** Options for {@link chunkText}. */
export interface ChunkTextOptions {
  /**
   * Longest chunk, in characters (UTF-16 code units).
   * @defaultValue 1000
   */
  maxChars?: number;
  /**
   * Characters a chunk repeats from the end of the one before, about: the overlap starts at a
   * word (or sentence) boundary at most this far back.
   * @defaultValue 100
   */
  overlapChars?: number;
  /**
   * Shortest chunk before a boundary is looked for; must exceed `overlapChars`.
   * @defaultValue half of `maxChars`
   */
  minChars?: number;
}

/** One chunk of a text; `text === source.slice(start, end)`. */
export interface TextChunk {
  index: number;
  text: string;
  start: number;
  end: number;
}

const SENTENCE_END = /[.!?…][)"'\]”’]*\s+/g;
/** What `/\s/` matches, by code unit: a regex test per character made hard cuts slow. */
function isWhitespace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Where to end a chunk that starts before `lo`: the best boundary in `(lo, hi]`. Every search
 * stays inside the window: a `lastIndexOf` from `hi` over the whole text scanned back to its
 * start when the window had no newline, quadratic in the text's length (10 MiB: 48 s).
 */
function findBreak(text: string, lo: number, hi: number): number {
  const window = text.slice(lo, hi);
  const paragraph = window.lastIndexOf('\n\n');
  if (paragraph >= 0) return lo + paragraph + 2;

  let sentence = -1;
  for (const match of window.matchAll(SENTENCE_END)) sentence = match.index + match[0].length;
  if (sentence > 0) return lo + sentence;

  const line = window.lastIndexOf('\n');
  if (line >= 0) return lo + line + 1;

  for (let index = hi - 1; index >= lo; index--) {
    if (isWhitespace(text.charCodeAt(index))) return index + 1;
  }
  // No boundary at all (a very long token): cut, but never between two halves of a surrogate pair.
  return isHighSurrogate(text.charCodeAt(hi - 1)) ? hi - 1 : hi;
}

/** Where the next chunk starts: a sentence or word start in `[from, end)`, for the overlap. */
function overlapStart(text: string, from: number, end: number, minOverlap: number): number {
  const window = text.slice(from, end);
  for (const match of window.matchAll(SENTENCE_END)) {
    const start = from + match.index + match[0].length;
    if (end - start >= minOverlap) return start;
    break;
  }
  for (let index = from; index < end - 1; index++) {
    if (isWhitespace(text.charCodeAt(index)) && !isWhitespace(text.charCodeAt(index + 1))) {
      return index + 1;
    }
  }
  return isLowSurrogate(text.charCodeAt(from)) ? from + 1 : from;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Splits a text into chunks of at most `maxChars`, ending each on the best boundary found in its
 * second half (paragraph, then sentence, then line, then word), and starting each after the
 * first at a word or sentence boundary about `overlapChars` before the previous one ended. The
 * chunks cover the whole text in order: each starts at or before the end of the one before.
 */
export function chunkText(text: string, options: ChunkTextOptions = {}): TextChunk[] {
  const maxChars = options.maxChars ?? 1000;
  const overlapChars = options.overlapChars ?? 100;
  const minChars = options.minChars ?? Math.floor(maxChars / 2);
  if (!(maxChars >= 2 && overlapChars >= 0 && minChars > overlapChars && minChars <= maxChars)) {
    throw new RangeError('chunkText needs maxChars >= minChars > overlapChars >= 0');
  }
  const chunks: TextChunk[] = [];
  let start = 0;
  // Each turn moves `start` forward by at least minChars - overlapChars, so the loop ends.
  while (start < text.length) {
    const end =
      text.length - start <= maxChars
        ? text.length
        : findBreak(text, start + minChars, start + maxChars);
    chunks.push({ index: chunks.length, text: text.slice(start, end), start, end });
    if (end >= text.length) break;
    start = overlapStart(text, Math.max(end - overlapChars, start + 1), end, overlapChars / 2);
  }
  return chunks;
}

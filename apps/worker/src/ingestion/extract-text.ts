import type { IngestMediaType } from '@conveyor/queues';
import { convert, type HtmlToTextOptions } from 'html-to-text';
import { Parser } from 'htmlparser2';
import { DocumentTooDeepError } from '../errors/document-too-deep-error.js';

/**
 * Deepest element nesting an HTML document may have (Blink and WebKit stop nesting at 512 too).
 * htmlparser2 keeps open elements in an array it shifts and unshifts, so each tag costs the
 * current depth: 200,000 nested `<div>`s took minutes to parse, and html-to-text's recursive walk
 * overflows the stack from about 5,000 levels.
 */
export const MAX_HTML_DEPTH = 512;

const HTML_OPTIONS: HtmlToTextOptions = {
  // Line breaks come from the document's structure; chunking decides lengths later.
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'noscript', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((selector) => ({
      selector,
      options: { uppercase: false },
    })),
    { selector: 'table', options: { uppercaseHeaderCells: false } },
  ],
};

/**
 * Turns a document's content into plain text. HTML goes through html-to-text (block structure
 * kept as blank lines, links without their URLs, scripts and styles dropped); plain text and
 * Markdown are already text: Markdown's markup is kept, it reads well and chunks well.
 */
export function extractText(content: string, mediaType: IngestMediaType): string {
  if (mediaType !== 'text/html') return content;
  assertHtmlDepth(content, MAX_HTML_DEPTH);
  return convert(content, HTML_OPTIONS);
}

/**
 * Throws {@link DocumentTooDeepError} when `html` nests elements deeper than `maxDepth`. It runs
 * htmlparser2's own tokenizer and tree rules (implied closes, void elements), the parser
 * html-to-text uses, but builds no tree and stops at the first element too deep: linear time.
 */
export function assertHtmlDepth(html: string, maxDepth: number): void {
  let depth = 0;
  const parser = new Parser({
    onopentagname() {
      depth += 1;
      if (depth > maxDepth) throw new DocumentTooDeepError(maxDepth);
    },
    onclosetag() {
      depth -= 1;
    },
  });
  parser.end(html);
}

/** Decodes a fetched body with its declared charset, falling back to UTF-8. */
export function decodeBody(body: Buffer, charset: string | undefined): string {
  if (charset) {
    try {
      return new TextDecoder(charset).decode(body);
    } catch {
      // An unknown or unsupported label: UTF-8 is the web's default.
    }
  }
  return new TextDecoder('utf-8').decode(body);
}

import type { IngestMediaType } from '@conveyor/queues';
import { convert, type HtmlToTextOptions } from 'html-to-text';

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
  return mediaType === 'text/html' ? convert(content, HTML_OPTIONS) : content;
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

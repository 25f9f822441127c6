import { describe, expect, it } from 'vitest';
import { sha256 } from './content-hash.js';
import { decodeBody, extractText } from './extract-text.js';
import { resolveMediaType } from './media-type.js';
import { normalizeText } from './normalize-text.js';

describe('text extraction and normalisation', () => {
  it('turns HTML into text without scripts, styles or link targets', () => {
    const html = `<html><head><style>p{color:red}</style><script>alert(1)</script></head>
      <body><h1>Title</h1><p>First <a href="https://x.example/">link</a> paragraph.</p>
      <p>Second&nbsp;paragraph &amp; more.</p><img src="a.png" alt="pic"></body></html>`;
    const text = normalizeText(extractText(html, 'text/html'));
    expect(text).toBe('Title\n\nFirst link paragraph.\n\nSecond paragraph & more.');
  });

  it('keeps plain text and Markdown as they are', () => {
    expect(extractText('# Head\n\n*x*', 'text/markdown')).toBe('# Head\n\n*x*');
  });

  it('makes cosmetic differences hash the same', () => {
    const a = normalizeText('\uFEFFLine one  \r\nLine two\r\n\r\n\r\n\r\nEnd\n');
    const b = normalizeText('Line one\nLine two\n\nEnd');
    expect(a).toBe(b);
    expect(sha256(a)).toBe(sha256(b));
    expect(sha256(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(normalizeText('e\u0301')).toBe('\u00e9');
  });

  it('decodes with the declared charset, UTF-8 otherwise', () => {
    expect(decodeBody(Buffer.from([0xe9]), 'iso-8859-1')).toBe('é');
    expect(decodeBody(Buffer.from('é'), 'no-such-charset')).toBe('é');
  });

  it('resolves media types from headers or, when generic, from the extension', () => {
    const url = new URL('http://h/doc.md');
    expect(resolveMediaType('text/html; charset=UTF-8', url)).toEqual({
      mediaType: 'text/html',
      charset: 'UTF-8',
    });
    expect(resolveMediaType('text/x-markdown', url)).toEqual({ mediaType: 'text/markdown' });
    expect(resolveMediaType(undefined, url)).toEqual({ mediaType: 'text/markdown' });
    expect(resolveMediaType('application/octet-stream', new URL('http://h/a.bin'))).toBe(
      'application/octet-stream',
    );
    expect(resolveMediaType('application/pdf', url)).toBe('application/pdf');
  });
});

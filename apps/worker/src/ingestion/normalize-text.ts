/**
 * The canonical form of a document's text, which is what is hashed and chunked: Unicode NFC,
 * `\n` line ends, Unicode spaces as plain spaces, no byte-order mark, no trailing spaces on
 * lines, at most one blank line in a row, no leading or trailing blank space. Cosmetic
 * differences in the source (CRLF, trailing spaces, extra blank lines) do not count as a change.
 */
export function normalizeText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[ \t\f\v]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

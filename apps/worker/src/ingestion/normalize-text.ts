/**
 * Spaces and tabs up to the end of their run, and the line end after them if any. The run is
 * taken whole and never backtracked into: `/[ \t\f\v]+$/gm` retried the match at every space of
 * a run that was not at a line end, quadratic in the run's length (100,000 spaces: 13 s).
 */
const HORIZONTAL_RUN = /[ \t\f\v]+([\n\u2028\u2029])?/g;

/**
 * The canonical form of a document's text, which is what is hashed and chunked: Unicode NFC,
 * `\n` line ends, Unicode spaces as plain spaces, no byte-order mark, no trailing spaces on
 * lines, at most one blank line in a row, no leading or trailing blank space. Cosmetic
 * differences in the source (CRLF, trailing spaces, extra blank lines) do not count as a change.
 * Linear in the text's length.
 */
export function normalizeText(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(
      HORIZONTAL_RUN,
      (run: string, lineEnd: string | undefined, offset: number, whole: string) =>
        lineEnd !== undefined ? lineEnd : offset + run.length === whole.length ? '' : run,
    )
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

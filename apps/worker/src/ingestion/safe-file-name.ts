import { sha256 } from './content-hash.js';

/**
 * Longest name {@link safeFileName} returns. File systems allow 255 bytes; the sink adds
 * `.jsonl` and, while writing, `.<uuid>.tmp` (47 characters).
 */
export const MAX_SAFE_FILE_NAME = 150;

/** Characters of the escaped id kept in front of the hash of an id too long to use whole. */
const HASHED_PREFIX = 80;

/**
 * A document id as a file name. Ids are `[A-Za-z0-9._:-]`; `:` is not allowed in file names on
 * Windows and confuses some tools, and a leading `.` hides the file, so both are written as
 * `%XX`. `%` never occurs in an id, so different ids always give different names. An escaped id
 * longer than {@link MAX_SAFE_FILE_NAME} (200 `:` escape to 600 characters, and the file system
 * refused the name) becomes its first characters, `~` and the sha256 of the whole id: `~` occurs
 * in no other name, so names stay unique, and the same id always gives the same name.
 */
export function safeFileName(documentId: string): string {
  const escaped = documentId
    .replace(
      /[^A-Za-z0-9._-]/g,
      (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .replace(/^\./, '%2E');
  if (escaped.length <= MAX_SAFE_FILE_NAME) return escaped;
  // Never end the prefix inside a `%XX` escape.
  const prefix = escaped.slice(0, HASHED_PREFIX).replace(/%[0-9A-F]?$/, '');
  return `${prefix}~${sha256(documentId)}`;
}

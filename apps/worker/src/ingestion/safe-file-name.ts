/**
 * A document id as a file name. Ids are `[A-Za-z0-9._:-]`; `:` is not allowed in file names on
 * Windows and confuses some tools, and a leading `.` hides the file, so both are written as
 * `%XX`. `%` never occurs in an id, so different ids always give different names.
 */
export function safeFileName(documentId: string): string {
  return documentId
    .replace(
      /[^A-Za-z0-9._-]/g,
      (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .replace(/^\./, '%2E');
}

/** Parses the text of Redis `INFO` into a flat field map (sections are not kept). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const separator = line.indexOf(':');
    if (separator > 0) fields.set(line.slice(0, separator), line.slice(separator + 1));
  }
  return fields;
}

/** True when dotted version `actual` is at least `minimum` (numeric per part). */
export function isVersionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const m = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(a.length, m.length); i++) {
    const difference = (a[i] ?? 0) - (m[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

import { readFileSync } from 'node:fs';

/**
 * The soft limit on open files (`RLIMIT_NOFILE`) from a `/proc/<pid>/limits` text, or
 * `undefined` when the text has no such line or says `unlimited`.
 */
export function parseOpenFilesLimit(limits: string): number | undefined {
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined;
  return Number(soft);
}

/**
 * This process's soft limit on open files. Node has no `getrlimit`, so it is read from
 * `/proc/self/limits` on Linux; elsewhere (or when that file cannot be read) `undefined`.
 */
export function openFilesLimit(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

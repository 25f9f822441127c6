import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident set size of process `pid` in bytes (Linux `/proc`, else `ps`). */
export function processRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch {
    // Not Linux, or the process is gone: ask ps.
  }
  const kib = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  return Number(kib) * 1024;
}

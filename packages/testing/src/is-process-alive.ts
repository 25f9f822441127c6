import { existsSync, readFileSync } from 'node:fs';

/** Whether a process with this id still runs; a zombie waiting to be reaped does not. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // No /proc (macOS): the signal-0 probe is all we have.
    return !existsSync('/proc/self');
  }
}

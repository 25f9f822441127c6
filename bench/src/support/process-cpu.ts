import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: `/proc/<pid>/stat` counts CPU time in ticks of 1/100 s on every common build. */
const TICK_MS = 10;

function ownCpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces), which ends with ') '.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return Number(fields[11]) + Number(fields[12]);
}

function descendants(pid: number): number[] {
  const found = [pid];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of children ? children.split(' ') : []) {
      found.push(...descendants(Number(child)));
    }
  }
  return found;
}

/**
 * CPU time (user + system) used so far by process `pid` and every process below it, in ms, with
 * a 10 ms resolution; undefined where `/proc` cannot tell (not Linux, or the process is gone).
 */
export function processTreeCpuMs(pid: number): number | undefined {
  try {
    return descendants(pid).reduce((sum, each) => sum + ownCpuTicks(each) * TICK_MS, 0);
  } catch {
    return undefined;
  }
}

/**
 * Size of each semi-space of an HTTP process's young generation, in MB (V8's default on 64-bit:
 * 16). A request leaves about 100 KB of short-lived garbage (a search: its Redis command, reply,
 * found jobs, answer and log line), and V8 collects the young generation each time it fills: a
 * scavenge that lands in whichever request is in flight. Twice the space is half the scavenges
 * (one every ~300 searches instead of ~130), each costing about the same (it copies what survives,
 * not the space), so fewer than 1% of requests wait for one. At most 32 MB more per process.
 */
export const API_SEMI_SPACE_MB = 32;

/**
 * V8 flags of the HTTP processes a multi-process API forks (a single process runs with what node
 * was started with). A scavenge runs on the main thread alone
 * (`--no-parallel-scavenge`): in parallel it also waits for V8's helper threads, which on a busy
 * machine (the API, worker and Redis sharing 2 cores) wait for a core themselves; in the search
 * bench that made a scavenge 9 ms at the median instead of 2.6 ms. Major GCs keep their
 * concurrent marking.
 */
export const API_GC_FLAGS: readonly string[] = [
  `--max-semi-space-size=${API_SEMI_SPACE_MB}`,
  '--no-parallel-scavenge',
];

/** `--no-parallel-scavenge` -> `parallel-scavenge`: the option a flag sets, either spelling. */
function optionOf(flag: string): string {
  return flag
    .replace(/^--(no-?)?/, '')
    .replace(/=.*$/, '')
    .replaceAll('_', '-');
}

/**
 * The `execArgv` an HTTP process is forked with: the primary's, plus each of {@link API_GC_FLAGS}
 * whose option the primary was not given (in its arguments or `NODE_OPTIONS`, which the processes
 * inherit), so an operator's own setting wins.
 */
export function withGcFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)].filter((arg) => arg.startsWith('--')).map(optionOf),
  );
  return [...execArgv, ...API_GC_FLAGS.filter((flag) => !given.has(optionOf(flag)))];
}

/**
 * Size of each semi-space of an HTTP process's young generation, in MB (V8's default on 64-bit:
 * 16). A request leaves about 100 KB of short-lived garbage (a search: its Redis command, reply,
 * found jobs, answer and log line), and V8 collects the young generation each time it fills: a
 * scavenge of 1 to 4 ms that lands in whichever request is in flight. Twice the space is half the
 * scavenges (one every ~300 searches instead of ~150), each costing the same (what survives it,
 * not its size), so fewer than 1% of requests wait for one. At most 32 MB more per process.
 */
export const API_SEMI_SPACE_MB = 32;

const SEMI_SPACE_FLAG = /(^|\s)--max-semi-space-size(=|\s|$)/;

/**
 * The `execArgv` an HTTP process is forked with: the primary's, plus the young generation of
 * {@link API_SEMI_SPACE_MB} unless the primary was given a size (in its arguments or
 * `NODE_OPTIONS`, which the processes inherit).
 */
export function withYoungGeneration(
  execArgv: readonly string[],
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = [...execArgv, nodeOptions].some((arg) => SEMI_SPACE_FLAG.test(arg));
  return given ? [...execArgv] : [...execArgv, `--max-semi-space-size=${API_SEMI_SPACE_MB}`];
}

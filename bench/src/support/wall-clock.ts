/**
 * A sub-millisecond wall clock on the same scale as `Date.now()` (and Redis's TIME, on the same
 * machine): `performance.now()` from an origin found by watching `Date.now()` tick over, so that
 * a drift of the process's time origin against the system clock cannot enter a comparison with
 * Redis's time.
 */
export function calibratedWallClock(): () => number {
  // Date.now() truncates: the largest (Date.now() - precise) seen over a few ticks is the moment
  // it turned over, where the truncation error is near zero.
  let offset = Number.NEGATIVE_INFINITY;
  const until = performance.now() + 3;
  while (performance.now() < until) {
    offset = Math.max(offset, Date.now() - performance.now());
  }
  return () => offset + performance.now();
}

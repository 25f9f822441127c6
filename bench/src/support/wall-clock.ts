/** A tick of `Date.now()` seen within this many ms of `performance.now()` fixes the offset. */
const NARROW_MS = 0.005;
/** Ticks seen that narrowly before the calibration stops early. */
const NARROW_TICKS = 3;
/** Longest calibration: on a busy machine, the narrowest tick seen by then is used. */
const CALIBRATION_MS = 200;

/**
 * A sub-millisecond wall clock on the same scale as `Date.now()` (and Redis's TIME, on the same
 * machine): `performance.now()` from an origin found by watching `Date.now()` tick over, so that
 * a drift of the process's time origin against the system clock cannot enter a comparison with
 * Redis's time.
 *
 * `Date.now()` truncates, so the offset is read at a tick: the new millisecond began between the
 * previous reading and this one, which `performance.now()` brackets. Only a narrow bracket
 * fixes it: a process descheduled between two readings (a loaded machine) would otherwise set the
 * offset short by as long as it was away, and the clock would run behind `Date.now()`.
 */
export function calibratedWallClock(): () => number {
  let offset = Number.NEGATIVE_INFINITY;
  let widest = Number.POSITIVE_INFINITY;
  let narrowTicks = 0;
  const deadline = performance.now() + CALIBRATION_MS;
  let previousStart = performance.now();
  let previousMs = Date.now();
  while (narrowTicks < NARROW_TICKS) {
    const start = performance.now();
    const ms = Date.now();
    const end = performance.now();
    if (ms > previousMs) {
      // The tick (wall time `ms`) fell between `previousStart` and `end`.
      const width = end - previousStart;
      if (width < widest) {
        widest = width;
        offset = ms - end;
      }
      if (width < NARROW_MS) narrowTicks += 1;
    }
    previousStart = start;
    previousMs = ms;
    if (end > deadline && Number.isFinite(offset)) break;
  }
  return () => offset + performance.now();
}

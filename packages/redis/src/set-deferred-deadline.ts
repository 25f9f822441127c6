/**
 * `setTimeout` for a deadline on I/O: `onLate` runs in the check phase of the loop iteration in
 * which the timer fires, after that iteration's poll phase. The timers phase runs before the poll
 * phase, so after the loop was frozen (GC, a big JSON parse, CPU starvation) a plain timer would
 * fire before the reply already waiting in the socket is read; deferred, the reply settles the
 * operation first and `onLate` finds it settled. `onLate` must itself check that the operation is
 * still unsettled. Clear with `clearTimeout`.
 */
export function setDeferredDeadline(onLate: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(setImmediate, ms, onLate);
}

/** Most time the allowances of commands in flight add to a command's deadline. */
export const MAX_QUEUED_ALLOWANCE_MS = 30_000;

const held = new WeakMap<object, number>();

/**
 * The extra time granted to the commands in flight on `connection` ({@link holdAllowance}): a
 * command sent now is answered after them, so its deadline grows by that much (at most
 * {@link MAX_QUEUED_ALLOWANCE_MS}).
 */
export function queuedAllowanceMs(connection: object): number {
  return Math.min(held.get(connection) ?? 0, MAX_QUEUED_ALLOWANCE_MS);
}

/** Counts `ms` in {@link queuedAllowanceMs} of `connection` until `settled` settles. */
export function holdAllowance(connection: object, ms: number, settled: Promise<unknown>): void {
  if (ms <= 0) return;
  held.set(connection, (held.get(connection) ?? 0) + ms);
  const release = () => {
    const left = (held.get(connection) ?? 0) - ms;
    if (left > 0) held.set(connection, left);
    else held.delete(connection);
  };
  settled.then(release, release);
}

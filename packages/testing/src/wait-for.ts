import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /**
   * Give up after this long, even if an attempt is still pending.
   * @defaultValue 10_000
   */
  timeoutMs?: number;
  /**
   * Pause between two attempts.
   * @defaultValue 25
   */
  intervalMs?: number;
  /** What is being waited for, as it should read in "timed out after Nms waiting for …". */
  description: string;
  /**
   * Stops waiting at once, rejecting with the signal's reason: lets a caller give up early when
   * it knows the condition can no longer come true (the process being polled has exited).
   * @defaultValue no signal
   */
  signal?: AbortSignal;
}

const PENDING = Symbol('pending');

/**
 * Polls `fn` until it returns a truthy value and resolves with it. An error thrown by `fn`
 * counts as "not yet"; the last one is quoted in the timeout error.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 25, description, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      // A hung attempt (a PING to a frozen server) must not outlive the deadline.
      const value = await raceDeadline(Promise.resolve().then(fn), deadline - Date.now(), signal);
      if (value !== PENDING && value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const cause = lastError === undefined ? '' : `: last error: ${errorMessage(lastError)}`;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(Math.min(intervalMs, remaining), undefined, { signal }).catch(() => {});
  }
}

async function raceDeadline<T>(
  attempt: Promise<T>,
  remainingMs: number,
  signal: AbortSignal | undefined,
): Promise<T | typeof PENDING> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<typeof PENDING>((resolve) => {
    onAbort = () => resolve(PENDING);
    timer = setTimeout(onAbort, Math.max(remainingMs, 0));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([attempt, expired]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

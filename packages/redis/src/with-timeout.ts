import { setDeferredDeadline } from './set-deferred-deadline.js';

/**
 * `operation`, or a rejection with `onTimeout()` once `timeoutMs` passed first: bounds a Redis
 * call that could otherwise wait for as long as Redis is away. The deadline is deferred (see
 * {@link setDeferredDeadline}): a reply that arrived while the loop was frozen still wins. The
 * timer is cleared either way; the losing operation's later failure is ignored (it has been
 * answered for already).
 */
export async function withTimeout<T>(
  operation: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // Rejecting after `operation` settled is a no-op: the race has been decided.
    timer = setDeferredDeadline(() => reject(onTimeout()), timeoutMs);
  });
  operation.catch(() => {});
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

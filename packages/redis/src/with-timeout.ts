/**
 * `operation`, or a rejection with `onTimeout()` once `timeoutMs` passed first: bounds a Redis
 * call that could otherwise wait for as long as Redis is away. The timer is cleared either way;
 * the losing operation's later failure is ignored (it has been answered for already).
 */
export async function withTimeout<T>(
  operation: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  operation.catch(() => {});
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `promise` to settle, or `ms`, whichever is first; never rejects. Resolves true when
 * the promise settled in time. For shutdown steps that must not hold a stopping process.
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    // Not unref'd: a stopping process waits out the bound before it exits with its code.
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

const isErrorLike = (value: unknown): value is { message: string; cause?: unknown } =>
  typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';

/**
 * An error's message followed by each of its causes' messages that the text so far does not
 * already contain, joined by `: `. Errors that wrap a cause often quote it (Node's `fetch failed`
 * around `getaddrinfo ENOTFOUND host`, a coded error around its reason): printing every message
 * of the chain, as pino does by default, repeats them ("fetch failed: fetch failed").
 */
export function messageWithCauses(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  let text = error.message;
  const seen = new Set<unknown>([error]);
  let cause = error.cause;
  while (isErrorLike(cause) && !seen.has(cause)) {
    seen.add(cause);
    if (cause.message !== '' && !text.includes(cause.message)) {
      text = text === '' ? cause.message : `${text}: ${cause.message}`;
    }
    cause = cause.cause;
  }
  return text;
}

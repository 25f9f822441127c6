import { waitFor } from './wait-for.js';

/** Options for {@link waitForHttp}. */
export interface WaitForHttpOptions {
  /**
   * Give up after this long.
   * @defaultValue 10_000
   */
  timeoutMs?: number;
  /**
   * The exact status to wait for.
   * @defaultValue any 2xx
   */
  status?: number;
}

/** Longest a single request may hang before the next attempt. */
const REQUEST_TIMEOUT_MS = 2000;

/**
 * Polls `url` with GET until it answers with the wanted status and resolves with that response,
 * body unread. Refused connections and other statuses count as "not yet".
 */
export function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<Response> {
  const { timeoutMs = 10_000, status } = options;
  const wanted = status === undefined ? 'a 2xx status' : `status ${status}`;
  return waitFor(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const matches =
        status === undefined
          ? response.status >= 200 && response.status < 300
          : response.status === status;
      if (matches) return response;
      // Release the connection of a response we will not read.
      await response.body?.cancel();
      throw new Error(`got status ${response.status}`);
    },
    { timeoutMs, intervalMs: 50, description: `${wanted} from ${url}` },
  );
}

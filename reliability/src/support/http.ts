/** What came back for one request; `status` 0 means no answer (refused, reset, timed out). */
export interface HttpAnswer {
  status: number;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: unknown;
  text: string;
  headers: Headers;
  /** Time to the complete answer. */
  ms: number;
  /** Why there is no answer, when `status` is 0. */
  error?: string;
}

/** Options for {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * Give up after this long; a hung request is a finding, so it is reported, not thrown.
   * @defaultValue 10_000
   */
  timeoutMs?: number;
}

/** One HTTP request over loopback; never throws. */
export async function request(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      json,
      text,
      headers: response.headers,
      ms: performance.now() - started,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      status: 0,
      json: undefined,
      text: '',
      headers: new Headers(),
      ms: performance.now() - started,
      error: cause ?? (error as Error).name ?? String(error),
    };
  }
}

/** The `error.code` of an API error answer, if it is one. */
export function errorCode(answer: HttpAnswer): string | undefined {
  const error = (answer.json as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** Runs `task` for each item with at most `concurrency` at once; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

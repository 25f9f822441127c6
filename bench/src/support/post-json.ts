import { Agent, get, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPool } from './run-pool.js';

/** An answer read whole. */
export interface JsonAnswer {
  status: number;
  body: string;
}

/**
 * POSTs a JSON body over a keep-alive agent and reads the whole answer. Plain `node:http`: the
 * bench's own client must cost as little CPU as it can, since it shares the machine with what it
 * measures.
 */
export async function postJson(
  agent: Agent,
  url: URL,
  body: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<JsonAnswer> {
  try {
    return await postOnce(agent, url, body, headers, timeoutMs);
  } catch (error) {
    // A kept-alive connection the server closed (its keep-alive timeout) just as the request
    // went out on it: the server read none of it, so it is sent again on a fresh connection, as
    // Node's documentation advises. Any other failure is the server's and is reported.
    if ((error as ReusedSocketError).reusedSocket !== true) throw error;
    return postOnce(agent, url, body, headers, timeoutMs);
  }
}

/** A request error, marked when it came on a connection reused from an earlier request. */
interface ReusedSocketError extends Error {
  reusedSocket?: boolean;
}

function postOnce(
  agent: Agent,
  url: URL,
  body: string | Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', (error: ReusedSocketError) => {
      const code = (error as NodeJS.ErrnoException).code;
      // No byte of the answer came: 'socket hang up' and a reset both carry ECONNRESET.
      if (req.reusedSocket && code === 'ECONNRESET') error.reusedSocket = true;
      reject(error);
    });
    req.end(body);
  });
}

/**
 * A keep-alive agent with at most `sockets` connections. With a `timeout`, Node's agent also
 * drops an idle connection a second before the server's announced keep-alive timeout
 * (`Keep-Alive: timeout=5`), which it ignores without one.
 */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, timeout: 60_000 });
}

/**
 * Opens `sockets` connections of `agent` to `url`'s server at once (concurrent `GET url`), so a
 * measurement that follows does not pay for connecting. Servers close idle keep-alive connections
 * (Node's default after 5 s), so this runs right before each round.
 */
export async function warmConnections(agent: Agent, url: URL, sockets: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: sockets },
      () =>
        new Promise<void>((resolve, reject) => {
          get(url, { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
            res.on('error', reject);
          }).on('error', reject);
        }),
    ),
  );
}

/**
 * Retries of a 503 per request when a queue is filled outside a measurement: about a minute of
 * them. A 1000-job bulk costs Redis a few hundred ms, so on a loaded machine a few in flight
 * together with a worker draining the queue pass the API's 1 s command timeout now and then.
 */
export const FILL_RETRIES = 40;

/**
 * POSTs `requests` bulk requests to `url`, at most `inFlight` at once, the body of request `i`
 * being `body(i)`; rejects on the first answer that is not 202. With `retries`, a 503 (Redis
 * busy or unavailable: a bulk stores all of its jobs or none) is sent again after its
 * `Retry-After` (1 s) plus up to as much again at random, so that the requests in flight do not
 * come back together and time out together again, at most that many times per request: for
 * filling a queue outside a measurement, never for a measured round.
 */
export async function postBulk(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
  requests: number,
  inFlight: number,
  body: (index: number) => string,
  retries = 0,
): Promise<void> {
  await runPool(requests, inFlight, async (index) => {
    const text = body(index);
    for (let attempt = 0; ; attempt++) {
      const answer = await postJson(agent, url, text, headers);
      if (answer.status === 202) return;
      if (answer.status !== 503 || attempt >= retries) {
        throw new Error(`${url.pathname} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      }
      await sleep(1000 + Math.random() * 1000);
    }
  });
}

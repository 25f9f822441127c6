import type { CorpusContext, RawCase } from './hostile-case.js';

const CRLF = '\r\n';

const raw = (label: string, text: string | Buffer): RawCase => ({
  kind: 'raw',
  label,
  bytes: Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'),
});

/**
 * A request head (request line and headers) with a blank line, plus an optional body. It asks
 * the server to close the connection after answering, which tells the sender the answer is
 * complete.
 */
const request = (line: string, headers: string[], body = '') =>
  [line, 'Host: 127.0.0.1', 'Connection: close', ...headers, '', body].join(CRLF);

/**
 * HTTP framing no client library would produce: broken request lines, malformed and oversized
 * headers, conflicting lengths (request smuggling), bad chunked encoding, other protocols,
 * bytes that are not text. `ctx` supplies a valid token where the framing is the only attack.
 */
export function rawCases(ctx: CorpusContext | undefined, paths = API_PATHS): RawCase[] {
  const auth = ctx ? [`Authorization: Bearer ${ctx.apiToken}`] : [];
  const job = '{"data":{"documentId":"raw","source":{"kind":"inline","text":"x"}}}';
  const json = ['Content-Type: application/json'];
  return paths.flatMap((path) => [
    raw(`${path}: garbage line`, `GARBAGE${CRLF}${CRLF}`),
    raw(`${path}: HTTP/0.9`, `GET ${path}${CRLF}`),
    raw(`${path}: HTTP/2 preface`, `PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`),
    raw(`${path}: HTTP/9.9`, request(`GET ${path} HTTP/9.9`, [])),
    raw(`${path}: asterisk target`, request('OPTIONS * HTTP/1.1', [])),
    raw(`${path}: absolute-form target`, request(`GET http://evil.example${path} HTTP/1.1`, auth)),
    raw(`${path}: header without colon`, request(`GET ${path} HTTP/1.1`, ['Bad Header'])),
    raw(`${path}: NUL in header`, request(`GET ${path} HTTP/1.1`, ['X-Evil: a\u0000b'])),
    raw(`${path}: space before colon`, request(`GET ${path} HTTP/1.1`, ['X-Evil : 1'])),
    raw(`${path}: 24 KB header`, request(`GET ${path} HTTP/1.1`, [`X-Big: ${'a'.repeat(24_000)}`])),
    raw(
      `${path}: 500 headers`,
      request(
        `GET ${path} HTTP/1.1`,
        Array.from({ length: 500 }, (_, i) => `X-H${i}: ${i}`),
      ),
    ),
    raw(
      `${path}: negative content-length`,
      request(`POST ${path} HTTP/1.1`, [...auth, ...json, 'Content-Length: -1'], job),
    ),
    raw(
      `${path}: non-numeric content-length`,
      request(`POST ${path} HTTP/1.1`, [...auth, ...json, 'Content-Length: abc'], job),
    ),
    raw(
      `${path}: two content-lengths`,
      request(
        `POST ${path} HTTP/1.1`,
        [...auth, ...json, `Content-Length: ${job.length}`, 'Content-Length: 5'],
        job,
      ),
    ),
    raw(
      `${path}: content-length and chunked (smuggling)`,
      request(
        `POST ${path} HTTP/1.1`,
        [...auth, ...json, 'Content-Length: 4', 'Transfer-Encoding: chunked'],
        `0${CRLF}${CRLF}GET /admin HTTP/1.1${CRLF}Host: x${CRLF}${CRLF}`,
      ),
    ),
    raw(
      `${path}: bad chunk size`,
      request(
        `POST ${path} HTTP/1.1`,
        [...auth, ...json, 'Transfer-Encoding: chunked'],
        `zz${CRLF}${job}${CRLF}0${CRLF}${CRLF}`,
      ),
    ),
    raw(
      `${path}: chunked, gzip claimed`,
      request(
        `POST ${path} HTTP/1.1`,
        [...auth, ...json, 'Transfer-Encoding: gzip, chunked'],
        `0${CRLF}${CRLF}`,
      ),
    ),
    raw(
      `${path}: obsolete line folding`,
      request(
        `POST ${path} HTTP/1.1`,
        [
          ...auth,
          'Content-Type: application/json',
          ' ; charset=utf-8',
          `Content-Length: ${job.length}`,
        ],
        job,
      ),
    ),
    raw(
      `${path}: UTF-8 bytes in authorization`,
      Buffer.from(
        request(
          `POST ${path} HTTP/1.1`,
          ['Authorization: Bearer ключ', ...json, `Content-Length: ${job.length}`],
          job,
        ),
        'utf8',
      ),
    ),
    raw(
      `${path}: CRLF injection in authorization`,
      request(
        `POST ${path} HTTP/1.1`,
        ['Authorization: Bearer x\r\nX-Injected: 1', ...json, `Content-Length: ${job.length}`],
        job,
      ),
    ),
    raw(
      `${path}: expect 100-continue, 50 MB declared`,
      request(`POST ${path} HTTP/1.1`, [
        ...auth,
        ...json,
        'Expect: 100-continue',
        'Content-Length: 52428800',
      ]),
    ),
    raw(
      `${path}: body shorter than content-length`,
      request(`POST ${path} HTTP/1.1`, [...auth, ...json, 'Content-Length: 1000'], '{"data":'),
    ),
    raw(
      `${path}: binary noise`,
      Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256)),
    ),
    raw(
      `${path}: pipelined valid then garbage`,
      `${request('GET /healthz HTTP/1.1', [])}GARBAGE /x HTTP/1.1${CRLF}${CRLF}`,
    ),
  ]);
}

const API_PATHS = [
  '/v1/queues/ingestion/jobs',
  '/v1/queues/ingestion/jobs/bulk',
  '/slack/events',
  '/slack/commands',
];

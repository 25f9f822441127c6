import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ingestData,
  interactionPayload,
  slackEvent,
  slashCommandForm,
} from '../test/support/payloads.js';
import { slackHeaders } from '../test/support/slack-headers.js';
import { SLACK_SECRET, startTestApp, type TestApp, TOKEN } from '../test/support/test-app.js';

/** One malformed request. */
interface Case {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** mulberry32: a small seeded generator, so a failing case can be reproduced. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}

const JSON_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  authorization: `Bearer ${TOKEN}`,
};
const JOBS = '/v1/queues/ingestion/jobs';
const BULK = '/v1/queues/ingestion/jobs/bulk';

function generateCases(count: number, seed: number): Case[] {
  const r = random(seed);
  const scalar = () =>
    r.pick<unknown>([null, true, false, 0, -1, 1e308, 'text', '', [], {}, [1, 'a'], { a: 1 }]);
  const nested = (depth: number, leaf: string) =>
    `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const validJob = () => JSON.stringify({ data: ingestData(`fz-${r.int(1000)}`) });
  const post = (path: string, body: string | Buffer, label: string, headers = JSON_HEADERS) => ({
    label,
    method: 'POST',
    path,
    headers,
    body,
  });

  const generators: (() => Case)[] = [
    () => post(JOBS, JSON.stringify(scalar()), 'wrong top-level type'),
    () => post(JOBS, JSON.stringify({ data: scalar() }), 'data of the wrong type'),
    () => {
      const data: Record<string, unknown> = { ...ingestData('ok') };
      const field = r.pick(['documentId', 'source']);
      data[field] = r.pick<unknown>([
        '',
        'has space',
        'x'.repeat(201),
        42,
        null,
        { kind: 'ftp' },
        { kind: 'url', url: 'javascript:alert(1)' },
        { kind: 'inline', text: 7 },
        { kind: 'inline', text: 'x', mediaType: 'application/pdf' },
        { kind: 'inline' },
      ]);
      if (r.next() < 0.3) delete data[field];
      return post(JOBS, JSON.stringify({ data }), `invalid ${field}`);
    },
    () =>
      post(
        JOBS,
        `{"data":{"documentId":"deep","source":{"kind":"inline","text":"x"},"metadata":${nested(65 + r.int(3000), '1')}}}`,
        'deeply nested object',
      ),
    () => post(JOBS, `{"data":${deepArray(65 + r.int(100_000))}}`, 'deeply nested array'),
    () =>
      post(
        JOBS,
        JSON.stringify({
          data: { ...ingestData('big'), metadata: { pad: 'x'.repeat(5000 + r.int(200_000)) } },
        }),
        'huge string',
      ),
    () => {
      const text = validJob();
      const at = r.pick(['top', 'data', 'source', 'metadata']);
      const proto = '"__proto__":{"polluted":true}';
      const body =
        at === 'top'
          ? `{${proto},${text.slice(1)}`
          : at === 'data'
            ? text.replace('"data":{', `"data":{${proto},`)
            : at === 'source'
              ? text.replace('"source":{', `"source":{${proto},`)
              : text.replace('"source"', `"metadata":{"x":{${proto}}},"source"`);
      return post(JOBS, body, `__proto__ key in ${at}`);
    },
    () => {
      const options = r.pick<unknown>([
        { delay: -1 },
        { delay: 'soon' },
        { delay: 1e20 },
        { priority: 0 },
        { priority: 3_000_000 },
        { priority: 1.5 },
        { attempts: 1 },
        'fast',
        [],
      ]);
      return post(JOBS, JSON.stringify({ data: ingestData('opt'), options }), 'invalid options');
    },
    () =>
      post(JOBS, JSON.stringify({ data: ingestData('x'), [`extra${r.int(9)}`]: 1 }), 'unknown key'),
    () => {
      const text = validJob();
      return post(JOBS, text.slice(0, 1 + r.int(text.length - 1)), 'truncated JSON');
    },
    () =>
      post(
        JOBS,
        Buffer.from(Array.from({ length: 1 + r.int(200) }, () => r.int(256))),
        'random bytes',
      ),
    () => {
      const contentType = r.pick([
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/jsonx',
        'json',
        'application/x-www-form-urlencoded',
      ]);
      return post(JOBS, validJob(), `content type ${contentType}`, {
        ...JSON_HEADERS,
        'content-type': contentType,
      });
    },
    () =>
      post(JOBS, validJob(), 'compressed body', {
        ...JSON_HEADERS,
        'content-encoding': r.pick(['gzip', 'br', 'deflate']),
      }),
    () => {
      const authorization = r.pick([
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        TOKEN,
        `Basic ${TOKEN}`,
        'Bearer',
        'Bearer  ',
        `Bearer ${'a'.repeat(8000)}`,
        `Bearer ${TOKEN},Bearer ${TOKEN}`,
      ]);
      return post(JOBS, validJob(), 'bad authorization', { ...JSON_HEADERS, authorization });
    },
    () =>
      post(JOBS, validJob(), 'bad idempotency key', {
        ...JSON_HEADERS,
        'idempotency-key': r.pick(['', 'has space', 'k'.repeat(201), '\t']),
      }),
    () => {
      const event = slackEvent(`Ev-${r.int(1000)}`) as Record<string, unknown>;
      const broken = r.pick([
        { event_id: undefined },
        { event: 'mention' },
        { event: {} },
        { type: 'event_callbac' },
        { event: { channel: 'C1' } },
        { event_id: 'x'.repeat(500) },
      ]);
      return post(
        '/v1/queues/slack-events/jobs',
        JSON.stringify({ data: { ...event, ...broken } }),
        'invalid Slack envelope',
      );
    },
    () => {
      const jobs = r.pick<unknown>([
        'all',
        {},
        [],
        null,
        [JSON.parse(validJob()), { data: { documentId: 'bad id' } }],
        [
          JSON.parse(validJob()),
          JSON.parse(validJob()),
          { data: ingestData('x'), options: { delay: -1 } },
        ],
        Array.from({ length: 1001 }, () => ({ data: ingestData('n') })),
      ]);
      return post(BULK, JSON.stringify({ jobs }), 'invalid bulk');
    },
    () =>
      post(BULK, `{"jobs":[${validJob()},{"__proto__":{},"data":{}}]}`, '__proto__ in a bulk job'),
    () => {
      const queue = r.pick([
        'nope',
        '__proto__',
        'constructor',
        'toString',
        '%00',
        'ingestion%00',
        'a'.repeat(3000),
        '..%2F..%2Fadmin',
        '%E2%82',
      ]);
      return post(`/v1/queues/${queue}/jobs`, validJob(), 'unknown queue');
    },
    () => ({
      label: 'weird job id',
      method: 'GET',
      path: `${JOBS}/${r.pick(['meta', 'wait', 'id', 'events', 'stalled-check', '%ZZ', 'x'.repeat(2000), '0', '-1', '__proto__', 'idem:abc'])}`,
      headers: JSON_HEADERS,
    }),
    () => ({
      label: 'weird paging',
      method: 'GET',
      path: `/v1/queues/ingestion/dead-letters?${r.pick(['limit=-1', 'limit=1e9', 'offset=x', 'limit[]=1', 'offset=1&offset=2', 'limit=%00', 'limit=0x10'])}`,
      headers: JSON_HEADERS,
    }),
    () => ({
      label: 'weird replay id',
      method: 'POST',
      path: `/v1/queues/ingestion/dead-letters/${r.pick(['meta', 'wait', 'nope', 'x'.repeat(500), '%2E%2E'])}/replay`,
      headers: JSON_HEADERS,
      body: r.pick(['', '{', 'garbage']),
    }),
    () => {
      const body = r.pick([
        '{',
        '[]',
        '"event_callback"',
        JSON.stringify({ type: 'event_callback' }),
        JSON.stringify({ ...slackEvent('Ev-x'), event: [] }),
        JSON.stringify({ type: 'url_verification' }),
        JSON.stringify({ type: 'other' }),
        `{"type":"event_callback","__proto__":{},"event":{"type":"x"},"event_id":"E","event_time":1}`,
        nested(70, '"x"'),
      ]);
      const signed = r.next() < 0.7;
      return post('/slack/events', body, 'malformed Slack event', {
        'content-type': 'application/json',
        ...(signed ? slackHeaders(SLACK_SECRET, body) : {}),
      });
    },
    () => {
      const body = JSON.stringify(slackEvent(`Ev-forged-${r.int(1000)}`));
      const headers = r.pick([
        slackHeaders('wrong-secret-0123456789', body),
        slackHeaders(SLACK_SECRET, body, 1),
        slackHeaders(SLACK_SECRET, `${body} `),
        { 'x-slack-request-timestamp': 'now', 'x-slack-signature': 'v0=zz' },
        { 'x-slack-signature': slackHeaders(SLACK_SECRET, body)['x-slack-signature'] ?? '' },
      ]);
      return post('/slack/events', body, 'unverified Slack event', {
        'content-type': 'application/json',
        ...headers,
      });
    },
    () => {
      const form = r.pick([
        'command=/x',
        'text=hi',
        `${slashCommandForm()}&__proto__=1`,
        slashCommandForm().replace('response_url=', 'response_url=ftp'),
        '%%%',
        '',
      ]);
      return post('/slack/commands', form, 'malformed slash command', {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackHeaders(SLACK_SECRET, form),
      });
    },
    () => {
      const payload = r.pick([
        '{',
        '[]',
        JSON.stringify({ ...interactionPayload(), user: null }),
        JSON.stringify({ type: '' }),
        nested(80, '1'),
        `{"__proto__":{},"type":"block_actions","user":{"id":"U"}}`,
      ]);
      const form = r.next() < 0.8 ? new URLSearchParams({ payload }).toString() : 'nopayload=1';
      return post('/slack/interactions', form, 'malformed interaction', {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackHeaders(SLACK_SECRET, form),
      });
    },
  ];
  return Array.from({ length: count }, (_, index) => {
    const generator = generators[index % generators.length] as () => Case;
    return generator();
  });
}

describe('malformed input', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_JOB_BYTES: '4096' } });
  });
  afterAll(() => app.close());

  it('answers every malformed request with a 4xx error and stores nothing', async () => {
    const cases = generateCases(400, 20_261_121);
    const before = await app.countJobs();
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (const [index, testCase] of cases.entries()) {
      const response = await fetch(`${app.url}${testCase.path}`, {
        method: testCase.method,
        headers: testCase.headers,
        ...(testCase.body === undefined ? {} : { body: testCase.body }),
      });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const isError = response.status >= 400 && response.status < 500;
      const hasErrorShape = /^\{"error":\{"code":"[A-Z_]+","message":/.test(text);
      if (!isError || !hasErrorShape) {
        failures.push(`#${index} ${testCase.label}: ${response.status} ${text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await app.countJobs()).toBe(before);
    // The suite exercised the whole range of rejections, not one kind over and over.
    expect([...statuses.keys()].sort()).toEqual([400, 401, 404, 413, 415]);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(app.logs()).not.toContain('"level":"error"');
  });
});

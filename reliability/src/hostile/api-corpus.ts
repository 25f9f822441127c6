import { slackHeaders } from '../support/slack-signature.js';
import { asInteractionForms, hostileCommandForms } from './form-bodies.js';
import type { CorpusContext, HostileCase, HttpCase } from './hostile-case.js';
import { invalidMutations } from './invalid-mutations.js';
import { hostileJsonTexts, type LabelledText } from './json-texts.js';
import { Prng } from './prng.js';
import { rawCases } from './raw-cases.js';
import { requestLineCases } from './request-line-cases.js';
import { validBodies } from './valid-bodies.js';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

const SINGLE = '/v1/queues/ingestion/jobs';
const SLACK_JOB = '/v1/queues/slack-events/jobs';
const BULK = '/v1/queues/ingestion/jobs/bulk';

/**
 * Every hostile request sent to the API: bodies that reach each parser (authenticated, or
 * signed as Slack signs them, so they get past the door), then attacks on the doors
 * themselves, the paths, the methods and the HTTP framing. None may store a job.
 */
export function apiCorpus(ctx: CorpusContext): HostileCase[] {
  const rng = new Prng(0xc0ffee);
  const auth = { authorization: `Bearer ${ctx.apiToken}` };
  const v1 = (
    path: string,
    { label, text }: LabelledText,
    extra: Record<string, string> = {},
  ): HttpCase => ({
    kind: 'http',
    label: `${path}: ${label}`,
    method: 'POST',
    path,
    headers: { ...auth, 'content-type': JSON_TYPE, ...extra },
    body: text,
  });
  const signed = (path: string, { label, text }: LabelledText, contentType: string): HttpCase => ({
    kind: 'http',
    label: `${path}: ${label}`,
    method: 'POST',
    path,
    headers: { 'content-type': contentType, ...slackHeaders(ctx.slackSigningSecret, text) },
    body: text,
  });

  const texts = hostileJsonTexts();
  const mutations = (name: keyof typeof validBodies, count: number) => {
    const { body, required, ids } = validBodies[name];
    return invalidMutations(body, { required, ids }, count, rng, name);
  };

  const cases: HostileCase[] = [
    ...texts.map((text) => v1(SINGLE, text)),
    ...texts.map((text) => v1(SLACK_JOB, text)),
    ...texts.map((text) => v1(BULK, text)),
    ...texts.map((text) => signed('/slack/events', text, JSON_TYPE)),
    ...mutations('ingest', 350).map((text) => v1(SINGLE, text)),
    ...mutations('slackJob', 200).map((text) => v1(SLACK_JOB, text)),
    ...mutations('bulk', 200).map((text) => v1(BULK, text)),
    ...mutations('slackEvent', 350).map((text) => signed('/slack/events', text, JSON_TYPE)),
    ...asInteractionForms([...texts, ...mutations('interaction', 120)]).map((text) =>
      signed('/slack/interactions', text, FORM_TYPE),
    ),
    ...hostileCommandForms(120, rng).map((text) => signed('/slack/commands', text, FORM_TYPE)),
    ...oversized(ctx),
    ...doorAttacks(ctx),
    ...requestLineCases(auth),
    ...rawCases(ctx),
  ];
  return cases;
}

/** Bodies over each route's size limit, declared or streamed. */
function oversized(ctx: CorpusContext): HostileCase[] {
  const auth = { authorization: `Bearer ${ctx.apiToken}`, 'content-type': JSON_TYPE };
  const bigJob = JSON.stringify({
    data: { documentId: 'big', source: { kind: 'inline', text: 'x'.repeat(270 * 1024) } },
  });
  const jobOverLimit = JSON.stringify({
    data: { documentId: 'big', source: { kind: 'inline', text: 'x'.repeat(262 * 1024) } },
  });
  const bigBulk = JSON.stringify({
    jobs: Array.from({ length: 1001 }, (_, i) => ({
      data: { documentId: `b${i}`, source: { kind: 'inline', text: 'x' } },
    })),
  });
  const hugeBulk = `{"jobs":[${'1,'.repeat(9 * 1024 * 1024)}1]}`;
  const bigEvent = JSON.stringify({ type: 'event_callback', padding: 'x'.repeat(900 * 1024) });
  return [
    {
      kind: 'http',
      label: 'single: body over the limit',
      method: 'POST',
      path: SINGLE,
      headers: auth,
      body: bigJob,
    },
    {
      kind: 'http',
      label: 'single: job over MAX_JOB_BYTES',
      method: 'POST',
      path: SINGLE,
      headers: auth,
      body: jobOverLimit,
    },
    {
      kind: 'http',
      label: 'bulk: 1,001 jobs',
      method: 'POST',
      path: BULK,
      headers: auth,
      body: bigBulk,
    },
    {
      kind: 'http',
      label: 'bulk: 18 MB body',
      method: 'POST',
      path: BULK,
      headers: auth,
      body: hugeBulk,
    },
    {
      kind: 'http',
      label: 'slack: 900 KB event, signed',
      method: 'POST',
      path: '/slack/events',
      headers: { 'content-type': JSON_TYPE, ...slackHeaders(ctx.slackSigningSecret, bigEvent) },
      body: bigEvent,
    },
  ];
}

/**
 * Attacks on authentication, media types and Slack signatures, each carrying an otherwise
 * valid job: only the door stops it.
 */
function doorAttacks(ctx: CorpusContext): HostileCase[] {
  const body = JSON.stringify(validBodies.ingest.body);
  const event = JSON.stringify(validBodies.slackEvent.body);
  const badAuth: Record<string, string>[] = [
    {},
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `Basic ${Buffer.from(`reliability:${ctx.apiToken}`).toString('base64')}` },
    { authorization: `Bearer ${ctx.apiToken}x` },
    { authorization: `Bearer ${ctx.apiToken.slice(0, -1)}` },
    { authorization: `Bearer ${ctx.apiToken.toUpperCase()}` },
    { authorization: `Bearer ${ctx.apiToken} ${ctx.apiToken}` },
    { authorization: `Bearer ${'a'.repeat(8000)}` },
    { authorization: 'Bearer null' },
    { authorization: 'Bearer undefined' },
    { authorization: `Token ${ctx.apiToken}` },
  ];
  const authCases = [
    SINGLE,
    SLACK_JOB,
    BULK,
    '/v1/queues',
    '/v1/queues/ingestion/jobs/1',
    '/v1/queues/ingestion/dead-letters',
  ].flatMap((path) =>
    badAuth.map(
      (headers, index): HttpCase => ({
        kind: 'http',
        label: `${path}: bad authorization #${index}`,
        method: path.endsWith('jobs') || path.endsWith('bulk') ? 'POST' : 'GET',
        path,
        headers: { 'content-type': JSON_TYPE, ...headers },
        ...(path.endsWith('jobs') || path.endsWith('bulk') ? { body } : {}),
      }),
    ),
  );

  const badTypes = [
    undefined,
    'text/plain',
    'application/xml',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'multipart/form-data; boundary=x',
    'application/jsonp',
    'application/x-www-form-urlencoded',
    '*/*',
    '',
  ];
  const auth = { authorization: `Bearer ${ctx.apiToken}` };
  const typeCases = [SINGLE, SLACK_JOB, BULK].flatMap((path) =>
    badTypes.map(
      (type): HttpCase => ({
        kind: 'http',
        label: `${path}: content-type ${String(type)}`,
        method: 'POST',
        path,
        headers: { ...auth, ...(type === undefined ? {} : { 'content-type': type }) },
        body: path === BULK ? JSON.stringify(validBodies.bulk.body) : body,
      }),
    ),
  );
  const encodingCases = [SINGLE, BULK].flatMap((path) =>
    ['gzip', 'deflate', 'br', 'identity, gzip'].map(
      (encoding): HttpCase => ({
        kind: 'http',
        label: `${path}: content-encoding ${encoding}`,
        method: 'POST',
        path,
        headers: { ...auth, 'content-type': JSON_TYPE, 'content-encoding': encoding },
        body: path === BULK ? JSON.stringify(validBodies.bulk.body) : body,
      }),
    ),
  );
  const idempotencyCases = ['', ' ', 'a b', 'x'.repeat(201), '\t', 'ключ'].map(
    (key): HttpCase => ({
      kind: 'http',
      label: `idempotency-key ${JSON.stringify(key.slice(0, 20))}`,
      method: 'POST',
      path: SINGLE,
      headers: {
        ...auth,
        'content-type': JSON_TYPE,
        'idempotency-key':
          encodeURIComponent(key) === key ? key : key.replace(/[^\x20-\x7e]/g, '?'),
      },
      body: '{"data": {"documentId": "idem bad"}}',
    }),
  );

  const now = Math.floor(Date.now() / 1000);
  const signature = slackHeaders(ctx.slackSigningSecret, event, now)['x-slack-signature'] as string;
  const badSignatures: [string, Record<string, string>][] = [
    ['no headers', {}],
    ['no signature', { 'x-slack-request-timestamp': String(now) }],
    ['no timestamp', { 'x-slack-signature': signature }],
    ['wrong secret', slackHeaders('not-the-signing-secret', event, now)],
    ['signature of another body', slackHeaders(ctx.slackSigningSecret, `${event} `, now)],
    ['replayed from 10 minutes ago', slackHeaders(ctx.slackSigningSecret, event, now - 600)],
    ['from 10 minutes ahead', slackHeaders(ctx.slackSigningSecret, event, now + 600)],
    [
      'timestamp not a number',
      { 'x-slack-request-timestamp': 'now', 'x-slack-signature': signature },
    ],
    ['timestamp negative', { 'x-slack-request-timestamp': '-1', 'x-slack-signature': signature }],
    ['timestamp 1e400', { 'x-slack-request-timestamp': '1e400', 'x-slack-signature': signature }],
    [
      'v1 scheme',
      {
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': signature.replace('v0=', 'v1='),
      },
    ],
    [
      'short signature',
      { 'x-slack-request-timestamp': String(now), 'x-slack-signature': signature.slice(0, 40) },
    ],
    [
      '10 KB signature',
      { 'x-slack-request-timestamp': String(now), 'x-slack-signature': `v0=${'a'.repeat(10_000)}` },
    ],
    [
      'non-hex signature',
      { 'x-slack-request-timestamp': String(now), 'x-slack-signature': `v0=${'z'.repeat(64)}` },
    ],
  ];
  const signatureCases = ['/slack/events', '/slack/commands', '/slack/interactions'].flatMap(
    (path) =>
      badSignatures.map(
        ([label, headers]): HttpCase => ({
          kind: 'http',
          label: `${path}: ${label}`,
          method: 'POST',
          path,
          headers: { 'content-type': path === '/slack/events' ? JSON_TYPE : FORM_TYPE, ...headers },
          body: path === '/slack/events' ? event : `payload=${encodeURIComponent(event)}`,
        }),
      ),
  );
  const slackTypeCases = [
    ['/slack/events', FORM_TYPE, event],
    ['/slack/events', 'text/plain', event],
    ['/slack/commands', JSON_TYPE, JSON.stringify(validBodies.command.body)],
    ['/slack/interactions', JSON_TYPE, JSON.stringify(validBodies.interaction.body)],
  ].map(
    ([path, type, text]): HttpCase => ({
      kind: 'http',
      label: `${path}: signed, content-type ${type}`,
      method: 'POST',
      path: path as string,
      headers: {
        'content-type': type as string,
        ...slackHeaders(ctx.slackSigningSecret, text as string),
      },
      body: text as string,
    }),
  );

  return [
    ...authCases,
    ...typeCases,
    ...encodingCases,
    ...idempotencyCases,
    ...signatureCases,
    ...slackTypeCases,
  ];
}

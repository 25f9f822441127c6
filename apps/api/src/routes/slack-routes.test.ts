import { Agent, request as httpRequest } from 'node:http';
import { slackObjectShapedEvents, slackSamples } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { interactionPayload, slackEvent, slashCommandForm } from '../../test/support/payloads.js';
import { slackHeaders } from '../../test/support/slack-headers.js';
import { SLACK_SECRET, startTestApp, type TestApp } from '../../test/support/test-app.js';
import { MAX_DRAIN_BYTES } from '../http/read-body.js';
import { SlackOptionsRegistry } from '../slack/slack-options-registry.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
/** The legacy verification token every sample below carries; it must never be stored. */
const VERIFICATION_TOKEN = 'legacy-verification-token-0001';

const interactionForm = (payload: unknown) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** POSTs `body` whole through `agent`; says whether the request went on a reused connection. */
function postThrough(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs the headers and the first bytes of a body to `url`, and never the rest: resolves with
 * the answer the server gives without waiting for the body to end.
 */
function postPartially(
  url: string,
  headers: Record<string, string>,
  firstBytes: string,
): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection });
        req.destroy();
      });
    });
    // Once answered, the server closes the connection under the unsent rest: not a failure.
    req.on('error', reject);
    req.flushHeaders();
    req.write(firstBytes);
  });
}

describe('Slack receivers', () => {
  let app: TestApp;
  const slackOptions = new SlackOptionsRegistry({ timeoutMs: 200 })
    .block('pick_ticket', (request) => ({
      options: [
        { text: { type: 'plain_text', text: `${request.value}2` }, value: `${request.value}2` },
      ],
    }))
    .dialog('bugs', () => ({ options: [{ label: 'Bug 1', value: 'b1' }] }))
    .block(
      'slow_select',
      (_request, signal) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve({ options: [] }))),
    )
    .block('broken_select', () => {
      throw new Error('the ticket service is down');
    });
  beforeAll(async () => {
    app = await startTestApp({ slackOptions });
  });
  afterAll(() => app.close());

  /** Every job of the app's `slack-events` queue, in any state. */
  const slackJobs = () =>
    app.producer
      .queue('slack-events')
      .getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);

  /** POSTs a body signed with `secret` (the app's by default), without a bearer token. */
  const post = (
    path: string,
    body: string,
    headers: Record<string, string>,
    options: { secret?: string; timestamp?: number; signedBody?: string } = {},
  ) =>
    app.request(path, {
      method: 'POST',
      auth: false,
      headers: {
        ...headers,
        ...slackHeaders(
          options.secret ?? SLACK_SECRET,
          options.signedBody ?? body,
          options.timestamp,
        ),
      },
      body,
    });

  describe('POST /slack/events', () => {
    it('answers the url_verification challenge', async () => {
      const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' });
      const response = await post('/slack/events', body, JSON_TYPE);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ challenge: 'c-123' });
    });

    it('stores an event named after its type and acknowledges it', async () => {
      const body = JSON.stringify(slackEvent('Ev-store-1'));
      const response = await post('/slack/events', body, JSON_TYPE);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { id: string; deduplicated: boolean };
      expect(answer).toMatchObject({ ok: true, deduplicated: false });
      const job = await app.producer.queue('slack-events').getJob(answer.id);
      expect(job?.name).toBe('app_mention');
      expect(job?.data).toEqual(slackEvent('Ev-store-1'));
    });

    it('acknowledges a Slack retry of a stored event without storing it twice', async () => {
      const body = JSON.stringify(slackEvent('Ev-retry-1', 'message'));
      const first = (await (await post('/slack/events', body, JSON_TYPE)).json()) as { id: string };
      const before = await app.countJobs();
      for (const retryNum of ['1', '2']) {
        const retry = await post('/slack/events', body, {
          ...JSON_TYPE,
          'x-slack-retry-num': retryNum,
          'x-slack-retry-reason': 'http_timeout',
        });
        expect(retry.status).toBe(200);
        expect(await retry.json()).toEqual({ ok: true, id: first.id, deduplicated: true });
      }
      // Still once after retention removed the job: the event_id is remembered 24 hours.
      await app.producer.queue('slack-events').remove(first.id);
      const late = await post('/slack/events', body, { ...JSON_TYPE, 'x-slack-retry-num': '3' });
      expect(late.status).toBe(200);
      expect(await app.countJobs()).toBe(before - 1);
      expect(app.logs()).toContain('Slack event redelivery acknowledged');
    });

    it('answers 401 for every request that does not verify, and stores nothing', async () => {
      const before = await app.countJobs();
      const body = JSON.stringify(slackEvent('Ev-forged'));
      const now = Math.floor(Date.now() / 1000);
      const attempts = [
        post('/slack/events', body, JSON_TYPE, { secret: 'another-secret-0123456789' }),
        // Well past 5 minutes: the exact boundary is the unit test's, and the clock may tick
        // between signing and verifying.
        post('/slack/events', body, JSON_TYPE, { timestamp: now - 400 }),
        post('/slack/events', body, JSON_TYPE, { timestamp: now + 400 }),
        post('/slack/events', body, JSON_TYPE, {
          signedBody: body.replace('Ev-forged', 'Ev-forgex'),
        }),
        app.request('/slack/events', { method: 'POST', auth: false, headers: JSON_TYPE, body }),
        app.request('/slack/events', {
          method: 'POST',
          auth: false,
          headers: {
            ...JSON_TYPE,
            'x-slack-request-timestamp': String(now),
            'x-slack-signature': 'v0=abc',
          },
          body,
        }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(401);
        expect((await errorOf(response)).error.code).toBe('SLACK_SIGNATURE_INVALID');
      }
      expect(await app.countJobs()).toBe(before);
    });

    it('answers 415, 400 and 413 for signed requests it cannot take', async () => {
      const before = await app.countJobs();
      const event = JSON.stringify(slackEvent('Ev-bad'));
      const cases: [string, Record<string, string>, number, string][] = [
        [event, { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['{"type":', JSON_TYPE, 400, 'INVALID_JSON'],
        ['[]', JSON_TYPE, 400, 'INVALID_PAYLOAD'],
        [JSON.stringify({ type: 'block_actions' }), JSON_TYPE, 400, 'INVALID_PAYLOAD'],
        [
          JSON.stringify({ ...slackEvent('x'), event_id: undefined }),
          JSON_TYPE,
          400,
          'INVALID_PAYLOAD',
        ],
        [JSON.stringify({ type: 'url_verification' }), JSON_TYPE, 400, 'INVALID_PAYLOAD'],
        [
          JSON.stringify({ ...slackEvent('big'), pad: 'x'.repeat(900_000) }),
          JSON_TYPE,
          413,
          'BODY_TOO_LARGE',
        ],
      ];
      for (const [body, headers, status, code] of cases) {
        const response = await post('/slack/events', body, headers);
        expect(response.status).toBe(status);
        expect((await errorOf(response)).error.code).toBe(code);
      }
      expect(await app.countJobs()).toBe(before);
    });
  });

  describe('POST /slack/commands', () => {
    it('stores a slash command and acknowledges it with an empty 200', async () => {
      const before = await app.countJobs();
      const response = await post('/slack/commands', slashCommandForm(), FORM_TYPE);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      expect(await app.countJobs()).toBe(before + 1);
      const [job] = await app.producer
        .queue('slack-events')
        .getJobs(['waiting', 'prioritized'], 0, 0);
      expect(job?.name).toBe('slash_command');
      expect(job?.data).toMatchObject({
        command: '/conveyor',
        text: 'status please',
        user_id: 'U0TEST',
      });
    });

    it("acknowledges Slack's ssl_check without storing anything", async () => {
      const before = await app.countJobs();
      const response = await post('/slack/commands', 'ssl_check=1&token=x', FORM_TYPE);
      expect(response.status).toBe(200);
      expect(await app.countJobs()).toBe(before);
    });

    it('verifies, checks the media type and validates the fields', async () => {
      const before = await app.countJobs();
      const forged = await post('/slack/commands', slashCommandForm(), FORM_TYPE, {
        signedBody: `${slashCommandForm()}&x=1`,
      });
      expect(forged.status).toBe(401);
      const json = await post('/slack/commands', JSON.stringify({ command: '/x' }), JSON_TYPE);
      expect(json.status).toBe(415);
      const invalid = await post('/slack/commands', 'command=nope&team_id=T', FORM_TYPE);
      expect(invalid.status).toBe(400);
      expect((await errorOf(invalid)).error.code).toBe('INVALID_PAYLOAD');
      const proto = await post('/slack/commands', `${slashCommandForm()}&__proto__=x`, FORM_TYPE);
      expect(proto.status).toBe(400);
      expect(await app.countJobs()).toBe(before);
    });
  });

  describe('POST /slack/interactions', () => {
    it('stores the payload field as an interaction job', async () => {
      const body = new URLSearchParams({
        payload: JSON.stringify(interactionPayload()),
      }).toString();
      const response = await post('/slack/interactions', body, FORM_TYPE);
      expect(response.status).toBe(200);
      const jobs = await app.producer
        .queue('slack-events')
        .getJobs(['waiting', 'prioritized'], 0, 0);
      expect(jobs[0]?.name).toBe('interaction');
      expect(jobs[0]?.data).toEqual(interactionPayload());
    });

    it('answers 400 without a payload field or with one that is not JSON', async () => {
      const before = await app.countJobs();
      const missing = await post('/slack/interactions', 'other=1', FORM_TYPE);
      expect(missing.status).toBe(400);
      expect((await errorOf(missing)).error.code).toBe('INVALID_PAYLOAD');
      const broken = await post('/slack/interactions', 'payload=%7Bnot-json', FORM_TYPE);
      expect(broken.status).toBe(400);
      expect((await errorOf(broken)).error.code).toBe('INVALID_JSON');
      expect(await app.countJobs()).toBe(before);
    });
  });

  describe('every payload shape Slack documents', () => {
    it('stores events whose channel or user is an object, and org-wide events without team_id', async () => {
      const shapes = { ...slackObjectShapedEvents, org_wide_message: slackSamples.orgWideMessage };
      for (const [type, envelope] of Object.entries(shapes)) {
        const response = await post('/slack/events', JSON.stringify(envelope), JSON_TYPE);
        expect(response.status, type).toBe(200);
        const { id } = (await response.json()) as { id: string };
        const job = await app.producer.queue('slack-events').getJob(id);
        expect(job?.name, type).toBe((envelope.event as { type: string }).type);
        const { token: _, ...sent } = envelope;
        expect(job?.data, type).toEqual(sent);
      }
    });
  });

  describe('replayed requests', () => {
    it('stores a slash command sent three times once, by trigger_id, and answers each 200', async () => {
      const form = new URLSearchParams({
        ...Object.fromEntries(new URLSearchParams(slashCommandForm())),
        trigger_id: '13345224609.738474920.replayed-command',
      }).toString();
      // The same signed request, as an eavesdropper would replay it within 5 minutes.
      const headers = { ...FORM_TYPE, ...slackHeaders(SLACK_SECRET, form) };
      const before = await app.countJobs();
      for (let send = 0; send < 3; send++) {
        const response = await app.request('/slack/commands', {
          method: 'POST',
          auth: false,
          headers,
          body: form,
        });
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('');
      }
      expect(await app.countJobs()).toBe(before + 1);
      // Still once after retention removed the job: the trigger_id is remembered 24 hours.
      const [job] = (await slackJobs()).filter(
        (candidate) => candidate.data.trigger_id === '13345224609.738474920.replayed-command',
      );
      await job?.remove();
      const late = await app.request('/slack/commands', {
        method: 'POST',
        auth: false,
        headers,
        body: form,
      });
      expect(late.status).toBe(200);
      expect(await app.countJobs()).toBe(before);
      expect(app.logs()).toContain('Slack slash command seen before; not stored again');
    });

    it('stores an interaction sent twice once, by trigger_id', async () => {
      const body = interactionForm({
        ...slackSamples.blockAction,
        trigger_id: '12466734323.1395872398.replayed-action',
      });
      const headers = { ...FORM_TYPE, ...slackHeaders(SLACK_SECRET, body) };
      const before = await app.countJobs();
      for (let send = 0; send < 2; send++) {
        const response = await app.request('/slack/interactions', {
          method: 'POST',
          auth: false,
          headers,
          body,
        });
        expect(response.status).toBe(200);
      }
      expect(await app.countJobs()).toBe(before + 1);
    });

    it('stores two invocations with different trigger_ids twice', async () => {
      const before = await app.countJobs();
      for (const triggerId of ['1.2.distinct-a', '1.2.distinct-b']) {
        const form = new URLSearchParams({
          ...Object.fromEntries(new URLSearchParams(slashCommandForm())),
          trigger_id: triggerId,
        }).toString();
        expect((await post('/slack/commands', form, FORM_TYPE)).status).toBe(200);
      }
      expect(await app.countJobs()).toBe(before + 2);
    });
  });

  describe("Slack's certificate check", () => {
    it('answers an unsigned ssl_check 200 on both form routes and stores nothing', async () => {
      const before = await app.countJobs();
      for (const path of ['/slack/commands', '/slack/interactions']) {
        const response = await app.request(path, {
          method: 'POST',
          auth: false,
          headers: FORM_TYPE,
          body: `ssl_check=1&token=${VERIFICATION_TOKEN}`,
        });
        expect(response.status, path).toBe(200);
        expect(await response.text()).toBe('');
      }
      expect(await app.countJobs()).toBe(before);
    });

    it('still refuses any other unsigned form with 401', async () => {
      const before = await app.countJobs();
      for (const body of ['ssl_check=0', slashCommandForm()]) {
        const response = await app.request('/slack/commands', {
          method: 'POST',
          auth: false,
          headers: FORM_TYPE,
          body,
        });
        expect(response.status).toBe(401);
      }
      expect(await app.countJobs()).toBe(before);
    });
  });

  describe('options requests (block_suggestion, dialog_suggestion)', () => {
    const ask = async (payload: unknown) => {
      const response = await post('/slack/interactions', interactionForm(payload), FORM_TYPE);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      return response.json();
    };

    it("answers with the registered provider's options at once and stores nothing", async () => {
      const before = await app.countJobs();
      expect(await ask(slackSamples.blockSuggestion)).toEqual({
        options: [{ text: { type: 'plain_text', text: 'INC-42' }, value: 'INC-42' }],
      });
      expect(await ask(slackSamples.dialogSuggestion)).toEqual({
        options: [{ label: 'Bug 1', value: 'b1' }],
      });
      expect(await app.countJobs()).toBe(before);
    });

    it('answers an empty list when no provider is registered, or it fails or is too slow', async () => {
      const before = await app.countJobs();
      for (const actionId of ['nobody_provides_this', 'broken_select', 'slow_select']) {
        expect(await ask({ ...slackSamples.blockSuggestion, action_id: actionId })).toEqual({
          options: [],
        });
      }
      expect(await ask({ ...slackSamples.dialogSuggestion, callback_id: 'other' })).toEqual({
        options: [],
      });
      expect(await app.countJobs()).toBe(before);
      expect(app.logs()).toContain('the ticket service is down');
      expect(app.logs()).toContain('"outcome":"timed-out"');
    });
  });

  describe('requests that cannot verify are refused before their body is read', () => {
    it('answers 401 to unsigned or stale requests while their body is still being sent', async () => {
      const stale = slackHeaders(SLACK_SECRET, 'x', Math.floor(Date.now() / 1000) - 3600);
      const attempts = ['/slack/events', '/slack/commands', '/slack/interactions'].flatMap((path) =>
        [{}, stale].map((signature) =>
          postPartially(
            `${app.url}${path}`,
            { ...FORM_TYPE, 'content-length': '60000', ...signature },
            'payload=%7B',
          ),
        ),
      );
      for (const answer of await Promise.all(attempts)) {
        expect(answer.status).toBe(401);
        expect(JSON.parse(answer.body).error.code).toBe('SLACK_SIGNATURE_INVALID');
      }
    });

    it(`answers 413 past SLACK_MAX_BODY_BYTES before the rest arrives`, async () => {
      const limit = app.config.api.slackMaxBodyBytes;
      expect(limit).toBe(128 * 1024);
      // Well-formed, fresh headers: only the body can tell it is not Slack's.
      const headers = { ...JSON_TYPE, ...slackHeaders(SLACK_SECRET, 'not this body') };
      const declared = await postPartially(
        `${app.url}/slack/events`,
        { ...headers, 'content-length': String(limit + 1) },
        '{"type":',
      );
      expect(declared.status).toBe(413);
      // Chunked, no length declared: refused once the limit is crossed.
      const chunked = await postPartially(
        `${app.url}/slack/events`,
        headers,
        'x'.repeat(limit + 1),
      );
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe('BODY_TOO_LARGE');
      // A rest too large to read and drop: the answer closes the connection.
      const huge = await postPartially(
        `${app.url}/slack/events`,
        { ...headers, 'content-length': String(MAX_DRAIN_BYTES + 1) },
        '{"type":',
      );
      expect(huge.status).toBe(413);
      expect(huge.connection).toBe('close');
    });

    it('reads and drops the rest of a body a little over the limit, and keeps the connection', async () => {
      // Closing under a client still sending resets the connection, often before the client
      // has read the 413: the rest is read instead, and the connection serves the next request.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const postEvent = (body: string) =>
          postThrough(
            agent,
            `${app.url}/slack/events`,
            { ...JSON_TYPE, ...slackHeaders(SLACK_SECRET, body) },
            body,
          );
        const refused = await postEvent(
          JSON.stringify({ ...slackEvent('Ev-over'), pad: 'x'.repeat(800_000) }),
        );
        expect(refused.status).toBe(413);
        const next = await postEvent(JSON.stringify(slackEvent('Ev-after-over')));
        expect(next).toEqual({ status: 200, reusedSocket: true });
      } finally {
        agent.destroy();
      }
    });
  });

  it("stores no Slack job holding Slack's verification token", async () => {
    const event = { ...slackEvent('Ev-token-1'), token: VERIFICATION_TOKEN };
    const command = `${slashCommandForm()}&token=${VERIFICATION_TOKEN}`;
    const interaction = interactionForm({ ...interactionPayload(), token: VERIFICATION_TOKEN });
    expect((await post('/slack/events', JSON.stringify(event), JSON_TYPE)).status).toBe(200);
    expect((await post('/slack/commands', command, FORM_TYPE)).status).toBe(200);
    expect((await post('/slack/interactions', interaction, FORM_TYPE)).status).toBe(200);
    // Every job of this file, the documented samples (which carry a token too) included.
    const jobs = await slackJobs();
    const names = new Set(jobs.map((job) => job.name));
    for (const name of ['app_mention', 'slash_command', 'interaction']) {
      expect(names.has(name), name).toBe(true);
    }
    for (const job of jobs) {
      expect(job.data, job.name).not.toHaveProperty('token');
      expect(JSON.stringify(job.data)).not.toContain(VERIFICATION_TOKEN);
    }
  });

  it('answers 503 SLACK_NOT_CONFIGURED without a signing secret', async () => {
    const unconfigured = await startTestApp({ env: { SLACK_SIGNING_SECRET: undefined } });
    try {
      for (const path of ['/slack/events', '/slack/commands', '/slack/interactions']) {
        const response = await unconfigured.request(path, {
          method: 'POST',
          auth: false,
          headers: JSON_TYPE,
          body: JSON.stringify(slackEvent('Ev-off')),
        });
        expect(response.status).toBe(503);
        expect((await errorOf(response)).error.code).toBe('SLACK_NOT_CONFIGURED');
      }
      expect(await unconfigured.countJobs()).toBe(0);
    } finally {
      await unconfigured.close();
    }
  });
});

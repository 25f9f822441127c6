import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { interactionPayload, slackEvent, slashCommandForm } from '../../test/support/payloads.js';
import { slackHeaders } from '../../test/support/slack-headers.js';
import { SLACK_SECRET, startTestApp, type TestApp } from '../../test/support/test-app.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

describe('Slack receivers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

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
      const [job] = await app.producer.queue('slack-events').getJobs(['waiting'], 0, 0);
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
      const jobs = await app.producer.queue('slack-events').getJobs(['waiting'], 0, 0);
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

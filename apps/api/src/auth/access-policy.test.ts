import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData, slackEvent } from '../../test/support/payloads.js';
import { OTHER_TOKEN, startTestApp, type TestApp } from '../../test/support/test-app.js';

/** Two clients: `ci` scoped to ingestion (no replay), `other` without scopes (full access). */
describe('client scopes (API_CLIENT_SCOPES)', () => {
  let app: TestApp;
  let slackJobId: string;
  let slackLetterId: string;
  let ingestLetterId: string;

  beforeAll(async () => {
    app = await startTestApp({ env: { API_CLIENT_SCOPES: 'ci=enqueue:ingestion read:ingestion' } });
    const slackJob = await app.producer.queue('slack-events').add('app_mention', slackEvent('Ev1'));
    slackJobId = String(slackJob.id);
    slackLetterId = await app.producer
      .deadLetters('slack-events')
      .record(slackJob, new Error('x'), { unrecoverable: true })
      .then((letter) => letter.id);
    const ingestJob = await app.producer.queue('ingestion').add('ingest', ingestData('dead'));
    ingestLetterId = await app.producer
      .deadLetters('ingestion')
      .record(ingestJob, new Error('x'), { unrecoverable: true })
      .then((letter) => letter.id);
  });
  afterAll(() => app.close());

  const asOther = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, auth: OTHER_TOKEN });

  it('lets a scoped client enqueue and read only its queues, answering 403 FORBIDDEN otherwise', async () => {
    const before = await app.countJobs();
    const refused: [string, string, unknown?][] = [
      ['POST', '/v1/queues/slack-events/jobs', { data: slackEvent('Ev-forged') }],
      ['POST', '/v1/queues/slack-events/jobs/bulk', { jobs: [{ data: slackEvent('Ev-2') }] }],
      ['GET', `/v1/queues/slack-events/jobs/${slackJobId}`],
      ['GET', '/v1/queues/slack-events/jobs/does-not-exist'],
      ['GET', '/v1/queues/slack-events/dead-letters'],
      ['POST', `/v1/queues/slack-events/dead-letters/${slackLetterId}/replay`],
      ['POST', `/v1/queues/ingestion/dead-letters/${ingestLetterId}/replay`],
    ];
    for (const [method, path, body] of refused) {
      const response = await app.request(path, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      const error = (await errorOf(response)).error;
      expect(error.code).toBe('FORBIDDEN');
      // The same answer whether the job exists or not: scopes are checked before any lookup.
      expect(error.message).not.toContain(slackJobId);
    }
    expect(await app.countJobs()).toBe(before);

    const enqueued = await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('mine') });
    expect(enqueued.status).toBe(202);
    const { id } = (await enqueued.json()) as { id: string };
    expect((await app.request(`/v1/queues/ingestion/jobs/${id}`)).status).toBe(200);
    expect((await app.request('/v1/queues/ingestion/dead-letters')).status).toBe(200);

    const listed = (await (await app.request('/v1/queues')).json()) as {
      queues: { name: string }[];
    };
    expect(listed.queues.map((queue) => queue.name)).toEqual(['ingestion']);
  });

  it('keeps full access for a client without scopes', async () => {
    const listed = (await (await asOther('/v1/queues')).json()) as { queues: { name: string }[] };
    expect(listed.queues.map((queue) => queue.name)).toEqual(['slack-events', 'ingestion']);
    expect((await asOther(`/v1/queues/slack-events/jobs/${slackJobId}`)).status).toBe(200);
    expect((await asOther('/v1/queues/slack-events/dead-letters')).status).toBe(200);
    const replayed = await asOther(`/v1/queues/slack-events/dead-letters/${slackLetterId}/replay`, {
      method: 'POST',
    });
    expect(replayed.status).toBe(202);
  });

  it('applies * to every client not named', async () => {
    const other = await startTestApp({
      env: { API_CLIENT_SCOPES: 'ci=*:*; *=enqueue:ingestion' },
    });
    try {
      const slack = { data: slackEvent('Ev-star') };
      const refused = await other.request('/v1/queues/slack-events/jobs', {
        method: 'POST',
        auth: OTHER_TOKEN,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slack),
      });
      expect(refused.status).toBe(403);
      expect((await other.postJson('/v1/queues/slack-events/jobs', slack)).status).toBe(202);
    } finally {
      await other.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { ingestData, slackEvent } from '../../test/support/payloads.js';
import { slackHeaders } from '../../test/support/slack-headers.js';
import {
  OTHER_TOKEN,
  SLACK_SECRET,
  startTestApp,
  type TestApp,
} from '../../test/support/test-app.js';

describe('client quotas (API_CLIENT_QUOTAS)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { API_CLIENT_QUOTAS: 'ci=jobs:3 bytes:64KiB' } });
  });
  afterAll(() => app.close());

  it('answers 429 QUOTA_EXCEEDED once a client holds its jobs, sparing other clients and Slack', async () => {
    const bulk = await app.postJson('/v1/queues/ingestion/jobs/bulk', {
      jobs: [{ data: ingestData('q-1') }, { data: ingestData('q-2') }],
    });
    expect(bulk.status).toBe(202);
    expect(
      (await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('q-3') })).status,
    ).toBe(202);
    const before = await app.countJobs();
    const refused = await app.postJson('/v1/queues/ingestion/jobs', { data: ingestData('q-4') });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await errorOf(refused)).toMatchObject({
      error: { code: 'QUOTA_EXCEEDED', details: { quota: 'jobs', limit: 3, current: 3 } },
    });
    expect(await app.countJobs()).toBe(before);

    const other = await app.request('/v1/queues/ingestion/jobs', {
      method: 'POST',
      auth: OTHER_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: ingestData('o-1') }),
    });
    expect(other.status).toBe(202);
    const body = JSON.stringify(slackEvent(`Ev${randomUUID()}`));
    const slack = await app.request('/slack/events', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/json', ...slackHeaders(SLACK_SECRET, body) },
      body,
    });
    expect(slack.status).toBe(200);
  });

  it('counts bytes: a job that would take the client past its bytes is refused', async () => {
    const quotaApp = await startTestApp({ env: { API_CLIENT_QUOTAS: '*=bytes:1KiB' } });
    try {
      const big = ingestData('big', 'x'.repeat(700));
      expect((await quotaApp.postJson('/v1/queues/ingestion/jobs', { data: big })).status).toBe(
        202,
      );
      const refused = await quotaApp.postJson('/v1/queues/ingestion/jobs', { data: big });
      expect(refused.status).toBe(429);
      expect((await errorOf(refused)).error.details).toMatchObject({ quota: 'bytes', limit: 1024 });
    } finally {
      await quotaApp.close();
    }
  });
});

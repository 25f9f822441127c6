import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';

/** The request log line of request `id`, once written (after the response went out). */
function requestLine(app: TestApp, id: string): Promise<{ req: { remoteAddress?: string } }> {
  return waitFor(
    () =>
      app
        .logs()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { req?: { id?: string; remoteAddress?: string } })
        .find((entry) => entry.req?.id === id) as { req: { remoteAddress?: string } } | undefined,
    { description: `the log line of request ${id}` },
  );
}

describe('the request log behind a proxy', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => app.close());

  it('records the client that TRUST_PROXY resolves, on Express routes and the enqueue fast path', async () => {
    const read = await app.request('/v1/queues', {
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'log-read' },
    });
    expect(read.status).toBe(200);
    expect((await requestLine(app, 'log-read')).req.remoteAddress).toBe('203.0.113.7');

    const enqueue = await app.postJson(
      '/v1/queues/ingestion/jobs',
      { data: ingestData('logged-client') },
      { 'x-forwarded-for': '198.51.100.4, 203.0.113.8', 'x-request-id': 'log-enqueue' },
    );
    expect(enqueue.status).toBe(202);
    expect((await requestLine(app, 'log-enqueue')).req.remoteAddress).toBe('203.0.113.8');
  });
});

describe('the request log without TRUST_PROXY', () => {
  it('records the TCP peer and ignores X-Forwarded-For', async () => {
    const app = await startTestApp();
    try {
      await app.request('/v1/queues', {
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'log-peer' },
      });
      expect((await requestLine(app, 'log-peer')).req.remoteAddress).toBe('127.0.0.1');
    } finally {
      await app.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { RedisServer, waitForHttp } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';

const OAUTH_ENV = {
  SLACK_CLIENT_ID: '1.2',
  SLACK_CLIENT_SECRET: 'client-secret-0123456789abcdef',
  SLACK_STATE_SECRET: 'state-secret-0123456789abcdef0123456789',
  SLACK_TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  SLACK_OAUTH_RATE_LIMIT_PER_MINUTE: '4',
};

describe('Slack install routes', () => {
  let app: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    // A stopped clock: the rate limit's minute cannot roll over in the middle of a test.
    const frozen = Date.now();
    [app, off] = await Promise.all([
      startTestApp({ env: OAUTH_ENV, clock: { now: () => frozen } }),
      startTestApp(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([app?.close(), off?.close()]);
  });

  it('are not served without SLACK_CLIENT_ID', async () => {
    for (const path of ['/slack/install', '/slack/oauth_redirect?code=c&state=s']) {
      expect((await off.request(path, { auth: false, redirect: 'manual' })).status).toBe(404);
    }
  });

  it('keep each state in Redis only until it expires or is used', async () => {
    const install = await app.request('/slack/install', { auth: false, redirect: 'manual' });
    expect(install.status).toBe(302);
    const keys = await app.redis.keys(`${app.config.redis.prefix}:slack:oauth-state:*`);
    expect(keys).toHaveLength(1);
    const ttl = await app.redis.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('refuse a callback whose Host header is not a host (400, not an error of ours)', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${app.url}/slack/oauth_redirect?code=c&state=s`, { headers: { host: '[' } })
        .on('response', (response) => {
          response.resume();
          resolve(response.statusCode);
        })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(400);
  });

  it('refuse an oversized callback, then rate-limit the address', async () => {
    const long = await app.request(`/slack/oauth_redirect?code=${'c'.repeat(600)}&state=s`, {
      auth: false,
    });
    expect(long.status).toBe(400);
    expect(await long.text()).toMatch(/too long/);
    const huge = await app.request(`/slack/oauth_redirect?x=${'y'.repeat(3000)}`, { auth: false });
    expect(huge.status).toBe(400);
    // The install, the malformed request and these two used the 4 requests of this minute.
    const limited = await app.request('/slack/install', { auth: false, redirect: 'manual' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('Slack install routes while Redis is down', () => {
  let server: RedisServer;
  let app: TestApp;
  beforeAll(async () => {
    server = await RedisServer.start();
    app = await startTestApp({ redisUrl: server.url, env: OAUTH_ENV });
  });
  afterAll(async () => {
    // Closing the app's queues needs Redis back.
    await server?.restart();
    if (app) await waitForHttp(`${app.url}/readyz`, { status: 200, timeoutMs: 15_000 });
    await app?.close();
    await server?.stop();
  });

  it('answer 503 pages with Retry-After, never 500', async () => {
    const install = await app.request('/slack/install', { auth: false, redirect: 'manual' });
    const state = new URL(install.headers.get('location') ?? '').searchParams.get('state') ?? '';
    await server.kill('SIGKILL');
    const attempts = [
      app.request('/slack/install', { auth: false, redirect: 'manual' }),
      app.request(`/slack/oauth_redirect?code=c1&state=${state}`, {
        auth: false,
        headers: { cookie: `slack-app-oauth-state=${state}` },
      }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../test/support/error-body.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';
import { WINDOW_MS } from '../rate-limit/rate-limiter.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';

describe('failed bearer authentication throttle', () => {
  let app: TestApp;
  let now = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 20_000;
  beforeAll(async () => {
    app = await startTestApp({
      env: { AUTH_FAILURES_PER_MINUTE: '3' },
      clock: { now: () => now },
    });
  });
  afterAll(() => app.close());

  it('refuses an address with 429 after N wrong secrets in a minute, the right one included', async () => {
    // A missing header is not a guess: it does not count.
    for (let i = 0; i < 5; i++) {
      expect((await app.request('/v1/queues', { auth: false })).status).toBe(401);
    }
    for (let i = 0; i < 3; i++) {
      const wrong = await app.request('/v1/queues', { auth: `guess-${i}-0123456789abcdef` });
      expect(wrong.status).toBe(401);
    }
    for (const auth of ['guess-4-0123456789abcdef', true] as const) {
      const refused = await app.request('/v1/queues', { auth });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('40');
      expect((await errorOf(refused)).error.code).toBe('AUTH_THROTTLED');
    }
    const enqueue = await app.postJson('/v1/queues/ingestion/jobs', { data: {} });
    expect(enqueue.status).toBe(429);

    now += WINDOW_MS;
    expect((await app.request('/v1/queues')).status).toBe(200);
  });

  it('forgets the oldest addresses rather than grow without bound', () => {
    let time = 0;
    const throttle = new AuthFailureThrottle({ failuresPerMinute: 1, clock: { now: () => time } });
    throttle.fail('first');
    expect(throttle.check('first').allowed).toBe(false);
    for (let i = 0; i < 10_000; i++) throttle.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(throttle.check('first').allowed).toBe(true);
    expect(throttle.check('10.0.39.15').allowed).toBe(false);
    time += WINDOW_MS;
    expect(throttle.check('10.0.39.15').allowed).toBe(true);
  });
});

describe('failed bearer authentication throttle behind a proxy', () => {
  const from = (address: string, auth: boolean | string = true) => ({
    auth,
    headers: { 'x-forwarded-for': address },
  });
  const guess = (i: number) => `guess-${i}-0123456789abcdef`;

  it('with TRUST_PROXY, locks out the forwarded client, not everyone behind the proxy', async () => {
    const app = await startTestApp({
      env: { AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: 'loopback' },
    });
    try {
      for (let i = 0; i < 2; i++) {
        expect((await app.request('/v1/queues', from('203.0.113.1', guess(i)))).status).toBe(401);
      }
      expect((await app.request('/v1/queues', from('203.0.113.1'))).status).toBe(429);
      // The enqueue fast path (no Express) keys on the same address.
      const enqueue = await app.request('/v1/queues/ingestion/jobs', {
        ...from('::ffff:203.0.113.1'),
        method: 'POST',
        headers: { 'x-forwarded-for': '::ffff:203.0.113.1', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(enqueue.status).toBe(429);
      expect((await app.request('/v1/queues', from('203.0.113.2'))).status).toBe(200);
      expect((await app.request('/v1/queues')).status).toBe(200);

      // An IPv6 client rotating through its /64 is one client.
      for (let i = 0; i < 2; i++) {
        const address = `2001:db8:7:1::${i + 1}`;
        expect((await app.request('/v1/queues', from(address, guess(i)))).status).toBe(401);
      }
      expect((await app.request('/v1/queues', from('2001:db8:7:1:ffff::9'))).status).toBe(429);
      expect((await app.request('/v1/queues', from('2001:db8:7:2::1'))).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('without TRUST_PROXY, ignores X-Forwarded-For: a guesser cannot pick a fresh address', async () => {
    const app = await startTestApp({ env: { AUTH_FAILURES_PER_MINUTE: '2' } });
    try {
      for (let i = 0; i < 2; i++) {
        expect((await app.request('/v1/queues', from(`198.51.100.${i}`, guess(i)))).status).toBe(
          401,
        );
      }
      expect((await app.request('/v1/queues', from('198.51.100.99'))).status).toBe(429);
    } finally {
      await app.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from './verify-slack-signature.js';

// Slack's published example ("Verifying requests from Slack").
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = 1531420618;
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const verify = (
  overrides: {
    secret?: string;
    body?: Buffer;
    headers?: Record<string, string | string[] | undefined>;
    now?: number;
  } = {},
) =>
  verifySlackSignature({
    signingSecret: overrides.secret ?? SECRET,
    rawBody: overrides.body ?? Buffer.from(BODY),
    headers: overrides.headers ?? {
      'x-slack-request-timestamp': String(TIMESTAMP),
      'x-slack-signature': SIGNATURE,
    },
    nowSeconds: overrides.now ?? TIMESTAMP + 10,
  });

describe('verifySlackSignature', () => {
  it("accepts Slack's own example request", () => {
    expect(verify()).toEqual({ ok: true });
  });

  it('accepts an uppercase hex signature', () => {
    const headers = {
      'x-slack-request-timestamp': String(TIMESTAMP),
      'x-slack-signature': `v0=${SIGNATURE.slice(3).toUpperCase()}`,
    };
    expect(verify({ headers })).toEqual({ ok: true });
  });

  it('rejects the right signature under another secret', () => {
    expect(verify({ secret: `${SECRET}x` })).toEqual({
      ok: false,
      reason: 'X-Slack-Signature does not match the body',
    });
  });

  it('rejects a body changed by one byte, wherever the byte is', () => {
    for (const position of [0, 100, BODY.length - 1]) {
      const body = Buffer.from(BODY);
      body[position] = (body[position] ?? 0) ^ 1;
      expect(verify({ body })).toMatchObject({ ok: false, reason: /does not match/ });
    }
    expect(verify({ body: Buffer.from(`${BODY} `) })).toMatchObject({ ok: false });
  });

  it('accepts timestamps up to 5 minutes away in either direction, not one second more', () => {
    expect(verify({ now: TIMESTAMP + 300 })).toEqual({ ok: true });
    expect(verify({ now: TIMESTAMP - 300 })).toEqual({ ok: true });
    expect(verify({ now: TIMESTAMP + 301 })).toMatchObject({ ok: false, reason: /5 minutes/ });
    expect(verify({ now: TIMESTAMP - 301 })).toMatchObject({ ok: false, reason: /5 minutes/ });
  });

  it('rejects missing headers, naming the one missing', () => {
    expect(verify({ headers: { 'x-slack-signature': SIGNATURE } })).toMatchObject({
      ok: false,
      reason: /X-Slack-Request-Timestamp header is missing/,
    });
    expect(verify({ headers: { 'x-slack-request-timestamp': String(TIMESTAMP) } })).toMatchObject({
      ok: false,
      reason: /X-Slack-Signature header is missing/,
    });
    expect(verify({ headers: {} })).toMatchObject({ ok: false });
    expect(
      verify({ headers: { 'x-slack-request-timestamp': '', 'x-slack-signature': '' } }),
    ).toMatchObject({ ok: false, reason: /missing/ });
  });

  it('rejects malformed signatures and timestamps without throwing', () => {
    const withSignature = (signature: string | string[]) =>
      verify({
        headers: { 'x-slack-request-timestamp': String(TIMESTAMP), 'x-slack-signature': signature },
      });
    for (const signature of [
      SIGNATURE.slice(3),
      `v1=${SIGNATURE.slice(3)}`,
      SIGNATURE.slice(0, -1),
      `${SIGNATURE}0`,
      `${SIGNATURE.slice(0, -1)}g`,
      'v0=',
      ' ',
      [SIGNATURE, SIGNATURE],
    ]) {
      expect(withSignature(signature)).toMatchObject({ ok: false });
    }
    for (const timestamp of ['abc', '-1', '1531420618.5', '1e9', `${TIMESTAMP}0000000000`]) {
      const result = verify({
        headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': SIGNATURE },
      });
      expect(result).toMatchObject({ ok: false });
    }
  });
});

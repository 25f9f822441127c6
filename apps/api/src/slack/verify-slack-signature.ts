import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from now, either way, in seconds (Slack's advice). */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** Everything {@link verifySlackSignature} looks at. */
export interface SlackSignatureInput {
  /** The Slack app's signing secret. */
  signingSecret: string;
  /** The body exactly as received, before any parsing. */
  rawBody: Buffer;
  /** Request headers with lower-case names, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The current time in whole seconds since the epoch. */
  nowSeconds: number;
}

export type SlackSignatureResult = { ok: true } | { ok: false; reason: string };

const TIMESTAMP_PATTERN = /^\d{1,12}$/;
const SIGNATURE_PATTERN = /^v0=[0-9a-fA-F]{64}$/;

const single = (value: string | string[] | undefined) =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The checks that need no body: both headers present and well formed, and the timestamp at most
 * 5 minutes from now. The receivers run them before reading the body, so a request that cannot
 * verify is refused without the server buffering (or waiting for) what it sends.
 */
export function checkSlackSignatureHeaders(
  headers: SlackSignatureInput['headers'],
  nowSeconds: number,
): SlackSignatureResult {
  const timestamp = single(headers['x-slack-request-timestamp']);
  const signature = single(headers['x-slack-signature']);
  if (timestamp === undefined) {
    return { ok: false, reason: 'the X-Slack-Request-Timestamp header is missing' };
  }
  if (signature === undefined)
    return { ok: false, reason: 'the X-Slack-Signature header is missing' };
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not a number of seconds' };
  }
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'X-Slack-Request-Timestamp is more than 5 minutes from now' };
  }
  if (!SIGNATURE_PATTERN.test(signature)) {
    return { ok: false, reason: 'X-Slack-Signature is not v0= followed by 64 hex digits' };
  }
  return { ok: true };
}

/**
 * Verifies a Slack request: `X-Slack-Signature` must be `v0=` + hex HMAC-SHA256 of
 * `v0:{X-Slack-Request-Timestamp}:{raw body}` keyed by the signing secret, compared in constant
 * time, and the timestamp at most 5 minutes from now (replays of old requests fail). Pure: no
 * I/O, the clock is an argument.
 */
export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureResult {
  const checked = checkSlackSignatureHeaders(input.headers, input.nowSeconds);
  if (!checked.ok) return checked;
  // Both are strings matching their patterns: the check above passed.
  const timestamp = input.headers['x-slack-request-timestamp'] as string;
  const signature = input.headers['x-slack-signature'] as string;
  const expected = createHmac('sha256', input.signingSecret)
    .update(`v0:${timestamp}:`)
    .update(input.rawBody)
    .digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  // Both are 32 bytes: the pattern fixed the given one's length.
  if (!timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'X-Slack-Signature does not match the body' };
  }
  return { ok: true };
}

import { createHmac } from 'node:crypto';

/**
 * Signs a body the way Slack does, written independently of the code under test:
 * `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
 */
export function slackHeaders(
  secret: string,
  body: string | Buffer,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestampSeconds}:`);
  hmac.update(body);
  return {
    'x-slack-request-timestamp': String(timestampSeconds),
    'x-slack-signature': `v0=${hmac.digest('hex')}`,
  };
}

import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';
import { classifySlackAnswer, type SlackAnswer } from './classify-slack-answer.js';

const classify = (answer: SlackAnswer) => classifySlackAnswer('chat.postMessage', answer);

describe('classifySlackAnswer', () => {
  it('turns a 429 into a pause of Retry-After seconds, 1 s without one, 500 ms at least', () => {
    const cases: [SlackAnswer, number][] = [
      [{ status: 429, retryAfterSeconds: 3 }, 3000],
      [{ status: 429 }, 1000],
      [{ status: 429, retryAfterSeconds: 0 }, 500],
      [{ error: 'ratelimited', retryAfterSeconds: 2 }, 2000],
      [{ error: 'ratelimited' }, 1000],
    ];
    for (const [answer, pauseMs] of cases) {
      const failure = classify(answer);
      expect(failure).toBeInstanceOf(SlackRateLimitedError);
      expect(failure).not.toBeInstanceOf(UnrecoverableError);
      expect((failure as SlackRateLimitedError).retryAfterMs).toBe(pauseMs);
    }
  });

  it("makes Slack's definite refusals permanent, so the job dead-letters after one attempt", () => {
    for (const error of [
      'invalid_auth',
      'channel_not_found',
      'not_in_channel',
      'account_inactive',
      'token_revoked',
      'missing_scope',
      'is_archived',
      'msg_too_long',
    ]) {
      const failure = classify({ error });
      expect(failure).toBeInstanceOf(SlackPermanentError);
      expect(failure).toBeInstanceOf(UnrecoverableError);
      expect(failure.message).toContain(error);
    }
    for (const status of [400, 403, 404, 410]) {
      const failure = classify({ status, detail: 'expired_url' });
      expect(failure).toBeInstanceOf(SlackPermanentError);
      expect(failure.message).toContain(`HTTP ${status} expired_url`);
    }
  });

  it('retries what Slack may answer differently later: its own errors, 5xx, 408, no answer', () => {
    for (const error of [
      'internal_error',
      'fatal_error',
      'service_unavailable',
      'request_timeout',
    ]) {
      expect(classify({ error })).toBeInstanceOf(SlackTransientError);
    }
    for (const status of [500, 502, 503, 504, 408]) {
      expect(classify({ status })).toBeInstanceOf(SlackTransientError);
    }
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:9');
    const unreachable = classify({ detail: cause.message, cause });
    expect(unreachable).toBeInstanceOf(SlackTransientError);
    expect(unreachable.message).toContain('ECONNREFUSED');
    expect(unreachable.cause).toBe(cause);
  });

  it('names the method and keeps a code for the logs', () => {
    const failure = classifySlackAnswer('conversations.replies', { error: 'invalid_auth' });
    expect(failure.message).toContain('conversations.replies');
    expect(failure.code).toBe('SLACK_PERMANENT');
    expect(classify({ status: 503 }).code).toBe('SLACK_TRANSIENT');
    expect(classify({ status: 429 }).code).toBe('SLACK_RATE_LIMITED');
  });
});

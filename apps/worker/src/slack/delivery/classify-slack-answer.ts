import { SlackPermanentError } from '../../errors/slack-permanent-error.js';
import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import { SlackTransientError } from '../../errors/slack-transient-error.js';

/**
 * Slack `error` codes that mean "Slack is having trouble": worth a retry. Every other platform
 * error is Slack's definite answer to this request (`invalid_auth`, `channel_not_found`,
 * `not_in_channel`, `account_inactive`, `token_revoked`, `missing_scope`, `is_archived`,
 * `msg_too_long`, `invalid_blocks`, ...) and a retry would only get the same answer again.
 */
export const TRANSIENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/** Shortest pause on a 429, whatever `Retry-After` says (it may be 0). */
const MIN_RATE_LIMIT_MS = 500;

/**
 * What Slack answered to one failed call (Web API or `response_url`), or that it did not answer.
 * Only what decides the failure's fate.
 */
export interface SlackAnswer {
  /** The HTTP status; undefined when no answer arrived (network error, timeout). */
  status?: number;
  /** Slack's `error` code from an `ok: false` body (`invalid_auth`, `ratelimited`, ...). */
  error?: string;
  /** `Retry-After` in seconds, when Slack sent a number. @defaultValue 1 */
  retryAfterSeconds?: number;
  /** Shown in the failure's message: why no answer came, or the start of the body. */
  detail?: string;
  /** The error the answer was read from, kept as the failure's cause. */
  cause?: unknown;
}

/** The three ways a Slack call can fail, as the queue needs to know them. */
export type SlackFailure = SlackPermanentError | SlackTransientError | SlackRateLimitedError;

/**
 * Sorts every failed Slack call into permanent (dead letters at once), transient (retry with
 * backoff) or rate limited (pause the workspace, keep the attempt).
 */
export function classifySlackAnswer(method: string, answer: SlackAnswer): SlackFailure {
  const { status, error, cause } = answer;
  const options = cause === undefined ? undefined : { cause };
  if (status === 429 || error === 'ratelimited') {
    const retryAfterMs = (answer.retryAfterSeconds ?? 1) * 1000;
    return new SlackRateLimitedError(method, Math.max(retryAfterMs, MIN_RATE_LIMIT_MS));
  }
  if (error !== undefined) {
    return TRANSIENT_SLACK_ERRORS.has(error)
      ? new SlackTransientError(method, error, options)
      : new SlackPermanentError(method, error, options);
  }
  if (status === undefined) {
    return new SlackTransientError(method, answer.detail ?? 'no answer', options);
  }
  const reason = `HTTP ${status}${answer.detail ? ` ${answer.detail}` : ''}`;
  return status >= 500 || status === 408
    ? new SlackTransientError(method, reason, options)
    : new SlackPermanentError(method, reason, options);
}

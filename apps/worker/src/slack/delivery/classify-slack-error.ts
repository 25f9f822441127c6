import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
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

/** The three ways a Slack call can fail, as the queue needs to know them. */
export type SlackFailure = SlackPermanentError | SlackTransientError | SlackRateLimitedError;

/**
 * Sorts an error from @slack/web-api into permanent (dead letters at once), transient (retry
 * with backoff) or rate limited (pause the queue, keep the attempt).
 */
export function classifySlackError(method: string, error: unknown): SlackFailure {
  if (error instanceof WebAPIRateLimitedError) {
    return new SlackRateLimitedError(method, Math.max(error.retryAfter * 1000, MIN_RATE_LIMIT_MS));
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    if (code === 'ratelimited') {
      const retryAfter = Number(error.data.response_metadata?.retryAfter ?? 1);
      return new SlackRateLimitedError(method, Math.max(retryAfter * 1000, MIN_RATE_LIMIT_MS));
    }
    return TRANSIENT_SLACK_ERRORS.has(code)
      ? new SlackTransientError(method, code, { cause: error })
      : new SlackPermanentError(method, code, { cause: error });
  }
  if (error instanceof WebAPIHTTPError) {
    const status = error.statusCode;
    return status >= 500 || status === 408
      ? new SlackTransientError(method, `HTTP ${status}`, { cause: error })
      : new SlackPermanentError(method, `HTTP ${status}`, { cause: error });
  }
  if (error instanceof WebAPIRequestError) {
    return new SlackTransientError(method, error.original.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SlackTransientError(method, message, { cause: error });
}

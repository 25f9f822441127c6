import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import type { SlackAnswer } from './classify-slack-answer.js';

/** Reads what Slack answered from an error thrown by @slack/web-api, for `classifySlackAnswer`. */
export function webApiAnswer(error: unknown): SlackAnswer {
  if (error instanceof WebAPIRateLimitedError) {
    return { status: 429, retryAfterSeconds: error.retryAfter, cause: error };
  }
  if (error instanceof WebAPIPlatformError) {
    const retryAfter = error.data.response_metadata?.retryAfter;
    return {
      error: error.data.error,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: Number(retryAfter) }),
      cause: error,
    };
  }
  if (error instanceof WebAPIHTTPError) return { status: error.statusCode, cause: error };
  if (error instanceof WebAPIRequestError) return { detail: error.original.message, cause: error };
  return { detail: error instanceof Error ? error.message : String(error), cause: error };
}

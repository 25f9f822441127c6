import { slackLogger } from '@conveyor/slack';
import type { Logger } from '@conveyor/telemetry';
import { WebClient } from '@slack/web-api';

/** Options for {@link createSlackWebClient}. */
export interface SlackWebClientOptions {
  /** Bot token (`xoxb-...`). */
  token: string;
  /** Web API base URL; tests point it at a local fake Slack. */
  apiUrl: string;
  /** Upper bound of one HTTP call, in milliseconds. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * A Slack Web API client that never retries or waits on its own: the queue owns retries
 * (backoff, attempts, dead letters) and rate limits (a 429 pauses the queue). A client that
 * slept through a 429 inside a job would hold the job's lock and a concurrency slot, and its
 * hidden retries would multiply the queue's.
 */
export function createSlackWebClient(options: SlackWebClientOptions): WebClient {
  return new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs,
    logger: slackLogger(options.logger.child({ component: 'slack-web-api' })),
    // Method names are never absolute URLs here; keep every call on the configured base.
    allowAbsoluteUrls: false,
  });
}

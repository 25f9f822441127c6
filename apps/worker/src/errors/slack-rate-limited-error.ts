import { CodedError } from '@conveyor/errors';
/**
 * Slack answered 429. Not a failure of the job: `pauseTenantOnRateLimit` turns it into a pause of
 * its workspace (tenant) for `retryAfterMs`, and the job is tried again without spending an attempt.
 */
export class SlackRateLimitedError extends CodedError {
  readonly code = 'SLACK_RATE_LIMITED';

  constructor(
    readonly method: string,
    readonly retryAfterMs: number,
  ) {
    super(`Slack ${method} is rate limited for ${retryAfterMs} ms`);
    this.name = 'SlackRateLimitedError';
  }
}

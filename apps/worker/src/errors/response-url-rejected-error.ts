import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * A slash command's `response_url` does not point at Slack. The worker only POSTs to Slack's
 * hosts (or the configured `SLACK_API_URL` origin), so a forged job cannot make it call anything
 * else.
 */
export class ResponseUrlRejectedError extends withCode(UnrecoverableError) {
  readonly code = 'SLACK_RESPONSE_URL_REJECTED';

  constructor(url: string, allowed: string[]) {
    super(`response_url ${url} is not a Slack URL (allowed hosts: ${allowed.join(', ')})`);
    this.name = 'ResponseUrlRejectedError';
  }
}

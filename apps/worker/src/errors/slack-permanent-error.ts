import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * Slack refused the call in a way a retry cannot fix (`invalid_auth`, `channel_not_found`,
 * `not_in_channel`, `msg_too_long`, an HTTP 4xx, ...). Goes to dead letters after one attempt.
 */
export class SlackPermanentError extends withCode(UnrecoverableError) {
  readonly code = 'SLACK_PERMANENT';

  constructor(
    readonly method: string,
    readonly slackError: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack ${method} failed permanently: ${slackError}`);
    this.name = 'SlackPermanentError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

import { CodedError } from '@conveyor/errors';
/**
 * Slack could not be reached or failed on its side (5xx, network, timeout): retry with backoff.
 * The message does not promise a retry: the last attempt fails with it too.
 */
export class SlackTransientError extends CodedError {
  readonly code = 'SLACK_TRANSIENT';

  constructor(
    readonly method: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack ${method} failed: ${reason}`, options);
    this.name = 'SlackTransientError';
  }
}

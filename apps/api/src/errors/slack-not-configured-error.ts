import { CodedError } from '@conveyor/errors';
/** `SLACK_SIGNING_SECRET` is not set, so Slack requests cannot be verified. Maps to HTTP 503. */
export class SlackNotConfiguredError extends CodedError {
  readonly code = 'SLACK_NOT_CONFIGURED';

  constructor() {
    super('Slack receivers are disabled: set SLACK_SIGNING_SECRET to enable them');
    this.name = 'SlackNotConfiguredError';
  }
}

import { CodedError } from '@conveyor/errors';
/** A `/slack/*` request whose signature or timestamp does not verify. Maps to HTTP 401. */
export class SlackSignatureInvalidError extends CodedError {
  readonly code = 'SLACK_SIGNATURE_INVALID';

  constructor(readonly reason: string) {
    super(`Slack request verification failed: ${reason}`);
    this.name = 'SlackSignatureInvalidError';
  }
}

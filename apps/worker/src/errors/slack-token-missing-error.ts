import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * A handler needs the Slack Web API but `SLACK_BOT_TOKEN` is not set. Permanent for this
 * process: the job goes to dead letters and can be replayed once the token is configured.
 */
export class SlackTokenMissingError extends withCode(UnrecoverableError) {
  readonly code = 'SLACK_TOKEN_MISSING';

  constructor(action: string) {
    super(
      `SLACK_BOT_TOKEN is not set, so the worker cannot ${action}: set it and replay the dead letter`,
    );
    this.name = 'SlackTokenMissingError';
  }
}

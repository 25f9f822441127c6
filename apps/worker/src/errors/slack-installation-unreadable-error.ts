import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * The job's workspace has a stored installation that `SLACK_TOKEN_ENCRYPTION_KEY` cannot open
 * (another key, or a rotation that dropped the key it was sealed with). A retry with the same
 * keys gets the same answer: dead letters, replayable once the worker has the right key.
 */
export class SlackInstallationUnreadableError extends withCode(UnrecoverableError) {
  readonly code = 'SLACK_INSTALLATION_UNREADABLE';

  constructor(workspace: string, reason: string, options?: { cause?: unknown }) {
    super(
      `The Slack installation of ${workspace} cannot be read: ${reason}. Give the worker the API's SLACK_TOKEN_ENCRYPTION_KEY and replay the dead letter`,
    );
    this.name = 'SlackInstallationUnreadableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

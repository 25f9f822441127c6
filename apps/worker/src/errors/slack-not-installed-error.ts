import { withCode } from '@conveyor/errors';
import { UnrecoverableError } from 'bullmq';

/**
 * The job's workspace has no Slack installation: never installed and no `SLACK_BOT_TOKEN` stands
 * in, or uninstalled (`app_uninstalled`, `tokens_revoked`), whatever `SLACK_BOT_TOKEN` says. Permanent for this
 * job only: it goes to dead letters and can be replayed once the app is installed there.
 */
export class SlackNotInstalledError extends withCode(UnrecoverableError) {
  readonly code = 'SLACK_NOT_INSTALLED';

  constructor(
    readonly workspace: string,
    action: string,
  ) {
    super(
      `The Slack app is not installed in ${workspace}, so the worker cannot ${action}: install it there (GET /slack/install on the API) and replay the dead letter`,
    );
    this.name = 'SlackNotInstalledError';
  }
}

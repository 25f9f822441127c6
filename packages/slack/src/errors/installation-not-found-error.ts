import { CodedError } from '@conveyor/errors';

/** No Slack installation is stored for a workspace or organisation (`fetchInstallation`). */
export class InstallationNotFoundError extends CodedError {
  readonly code = 'SLACK_INSTALLATION_NOT_FOUND';

  constructor(readonly installationId: string) {
    super(`No Slack installation is stored for ${installationId}`);
    this.name = 'InstallationNotFoundError';
  }
}

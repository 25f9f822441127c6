/** No Slack installation is stored for a workspace or organisation (`fetchInstallation`). */
export class InstallationNotFoundError extends Error {
  readonly code = 'SLACK_INSTALLATION_NOT_FOUND';

  constructor(readonly installationId: string) {
    super(`No Slack installation is stored for ${installationId}`);
    this.name = 'InstallationNotFoundError';
  }
}

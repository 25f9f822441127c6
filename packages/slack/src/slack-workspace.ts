/**
 * Where a Slack payload comes from, as the installation store needs it: the workspace (`team_id`),
 * its Enterprise Grid organisation, and whether the app is installed org-wide there (then the
 * organisation's installation holds the token for every workspace in it).
 */
export interface SlackWorkspace {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
}

/** Slack ids are short upper-case letters and digits; anything else is not used as a key. */
const SLACK_ID = /^[A-Za-z0-9_-]{1,64}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for a string that can be a Slack team, enterprise or user id. */
export const isSlackId = (value: unknown): value is string =>
  typeof value === 'string' && SLACK_ID.test(value);

const idOf = (value: unknown): string | undefined => (isSlackId(value) ? value : undefined);

/** `is_enterprise_install` is a boolean in JSON payloads and a string in slash-command forms. */
const flagOf = (value: unknown): boolean | undefined =>
  value === true || value === 'true'
    ? true
    : value === false || value === 'false'
      ? false
      : undefined;

/**
 * Reads the workspace of any Slack payload Conveyor stores: an Events API envelope (`team_id`,
 * `enterprise_id`, `is_enterprise_install`, else its first `authorizations` entry, which is
 * where org-wide installs carry them), a slash command's form fields, or an interaction
 * (`team.id`, `enterprise.id`). Fields that are missing, null (`team_id` of an org-wide event)
 * or not Slack ids are left out.
 */
export function slackWorkspaceOf(payload: unknown): SlackWorkspace {
  if (!isRecord(payload)) return { isEnterpriseInstall: false };
  const authorization = Array.isArray(payload.authorizations)
    ? payload.authorizations.find(isRecord)
    : undefined;
  const teamId =
    idOf(payload.team_id) ??
    (isRecord(payload.team) ? idOf(payload.team.id) : undefined) ??
    idOf(authorization?.team_id);
  const enterpriseId =
    idOf(payload.enterprise_id) ??
    (isRecord(payload.enterprise) ? idOf(payload.enterprise.id) : undefined) ??
    idOf(authorization?.enterprise_id);
  const isEnterpriseInstall =
    flagOf(payload.is_enterprise_install) ?? flagOf(authorization?.is_enterprise_install) ?? false;
  return {
    ...(teamId ? { teamId } : {}),
    ...(enterpriseId ? { enterpriseId } : {}),
    isEnterpriseInstall: isEnterpriseInstall && enterpriseId !== undefined,
  };
}

/** `team:<id>` or `enterprise:<id>`: how a workspace or organisation is named in keys and logs. */
export type InstallationId = `team:${string}` | `enterprise:${string}`;

/**
 * The installations that may hold a workspace's bot token, in the order they apply: an org-wide
 * install's organisation; otherwise the workspace's own installation, then its organisation's
 * (an org-wide install also serves a workspace whose events do not say so).
 */
export function installationIdsOf(workspace: SlackWorkspace): InstallationId[] {
  const { teamId, enterpriseId } = workspace;
  if (workspace.isEnterpriseInstall && enterpriseId) return [`enterprise:${enterpriseId}`];
  const ids: InstallationId[] = [];
  if (teamId) ids.push(`team:${teamId}`);
  if (enterpriseId) ids.push(`enterprise:${enterpriseId}`);
  return ids;
}

/** `team:T1` (workspace), `team:T1 (enterprise E1)`, or `enterprise E1 (org-wide)`: for messages. */
export function describeWorkspace(workspace: SlackWorkspace): string {
  const { teamId, enterpriseId, isEnterpriseInstall } = workspace;
  if (isEnterpriseInstall) return `enterprise ${enterpriseId} (org-wide install)`;
  if (!teamId) return enterpriseId ? `enterprise ${enterpriseId}` : 'an unknown workspace';
  return enterpriseId ? `workspace ${teamId} (enterprise ${enterpriseId})` : `workspace ${teamId}`;
}

import { isTenant } from './job-tenant.js';

type Fields = Record<string, unknown>;

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Fields)[key] : undefined;

const idOf = (value: unknown): string | undefined => {
  const id = typeof value === 'string' ? value : field(value, 'id');
  return isTenant(id) ? id : undefined;
};

/**
 * The workspace a Slack payload came from, which is the tenant of its job: the workspace's
 * `team_id`, or for an org-wide (Enterprise Grid) install the enterprise id, since one
 * installation then serves every workspace of the organisation and Slack's rate limits and
 * tokens follow the installation. Reads the three shapes the catalog stores: Events API
 * envelopes (`team_id`, `enterprise_id`, `is_enterprise_install` or `authorizations[0]`), slash
 * commands (form fields, `is_enterprise_install` as the string `"true"`) and interactivity
 * payloads (`team.id`, `enterprise.id`). Undefined when none is present or valid.
 */
export function slackTenant(data: unknown): string | undefined {
  const authorization = (field(data, 'authorizations') as unknown[] | undefined)?.[0];
  const enterpriseInstall = [
    field(data, 'is_enterprise_install'),
    field(authorization, 'is_enterprise_install'),
  ].some((flag) => flag === true || flag === 'true');
  const enterprise = idOf(field(data, 'enterprise_id')) ?? idOf(field(data, 'enterprise'));
  const team = idOf(field(data, 'team_id')) ?? idOf(field(data, 'team'));
  return enterpriseInstall ? (enterprise ?? team) : (team ?? enterprise);
}

import { describe, expect, it } from 'vitest';
import { installationIdsOf, slackWorkspaceOf } from './slack-workspace.js';

describe('slackWorkspaceOf', () => {
  it('reads an Events API envelope, a slash command and an interaction', () => {
    expect(slackWorkspaceOf({ team_id: 'T1', event: {} })).toEqual({
      teamId: 'T1',
      isEnterpriseInstall: false,
    });
    expect(
      slackWorkspaceOf({ team_id: 'T1', enterprise_id: 'E1', is_enterprise_install: 'true' }),
    ).toEqual({ teamId: 'T1', enterpriseId: 'E1', isEnterpriseInstall: true });
    expect(slackWorkspaceOf({ team: { id: 'T2' }, enterprise: null })).toEqual({
      teamId: 'T2',
      isEnterpriseInstall: false,
    });
  });

  it('falls back to authorizations for org-wide events whose team_id is null', () => {
    expect(
      slackWorkspaceOf({
        team_id: null,
        authorizations: [{ enterprise_id: 'E1', team_id: null, is_enterprise_install: true }],
      }),
    ).toEqual({ enterpriseId: 'E1', isEnterpriseInstall: true });
  });

  it('ignores values that are not Slack ids', () => {
    expect(slackWorkspaceOf({ team_id: 'T1:*', enterprise_id: 7 })).toEqual({
      isEnterpriseInstall: false,
    });
    expect(slackWorkspaceOf('nope')).toEqual({ isEnterpriseInstall: false });
  });
});

describe('installationIdsOf', () => {
  it('an org-wide install: the organisation only; else the workspace, then its organisation', () => {
    expect(
      installationIdsOf({ teamId: 'T1', enterpriseId: 'E1', isEnterpriseInstall: true }),
    ).toEqual(['enterprise:E1']);
    expect(
      installationIdsOf({ teamId: 'T1', enterpriseId: 'E1', isEnterpriseInstall: false }),
    ).toEqual(['team:T1', 'enterprise:E1']);
    expect(installationIdsOf({ isEnterpriseInstall: false })).toEqual([]);
  });
});

/** An Events API `event_callback` envelope around `event`, as Slack wraps every event. */
function envelope(eventId: string, event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'ZZZZZZWSxiZZZ2yIvs3peJ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: 1_626_877_800,
    authorizations: [
      { enterprise_id: null, team_id: 'T123ABC456', user_id: 'U0LAN0Z89', is_bot: true },
    ],
    is_ext_shared_channel: false,
    event_context: '4-eyJldCI6ImNoYW5uZWxfY3JlYXRlZCJ9',
  };
}

/** A full user object, as `team_join`, `user_change` and the other user events carry it. */
const userObject = (extra: Record<string, unknown> = {}) => ({
  id: 'W012A3CDE',
  team_id: 'T123ABC456',
  name: 'spengler',
  deleted: false,
  color: '9f69e7',
  real_name: 'Egon Spengler',
  tz: 'America/Los_Angeles',
  tz_label: 'Pacific Daylight Time',
  tz_offset: -25200,
  profile: {
    avatar_hash: 'ge3b51ca72de',
    status_text: 'Print is dead',
    status_emoji: ':books:',
    status_expiration: 0,
    real_name: 'Egon Spengler',
    display_name: 'spengler',
    real_name_normalized: 'Egon Spengler',
    display_name_normalized: 'spengler',
    email: 'spengler@ghostbusters.example.com',
    image_24: 'https://secure.gravatar.com/avatar/e3b51ca72dee4ef87916ae2b9240df50.jpg',
    huddle_state: 'default_unset',
    team: 'T123ABC456',
  },
  is_admin: true,
  is_owner: false,
  is_primary_owner: false,
  is_restricted: false,
  is_ultra_restricted: false,
  is_bot: false,
  updated: 1_502_138_686,
  is_app_user: false,
  has_2fa: false,
  ...extra,
});

const slackTeam = (id: string, name: string, domain: string) => ({
  id,
  name,
  icon: {},
  is_verified: false,
  domain,
  date_created: 1_480_946_400,
  requires_sponsorship: false,
});

const sharedChannelInvite = {
  id: 'I028YDERZSQ',
  date_created: 1_626_876_000,
  date_invalid: 1_628_085_600,
  inviting_team: slackTeam('T12345678', 'Corgis', 'corgis'),
  inviting_user: {
    id: 'U12345678',
    team_id: 'T12345678',
    name: 'crus',
    updated: 1_608_081_902,
    profile: { real_name: 'Corgis Rus', display_name: 'Corgis Rus', team: 'T12345678' },
  },
  recipient_email: 'golden@doodle.com',
  recipient_user_id: 'U87654321',
};
const sharedChannel = {
  id: 'C12345678',
  is_private: false,
  is_im: false,
  name: 'test-slack-connect',
};
const teamsInChannel = [slackTeam('T12345678', 'Corgis', 'corgis')];
const doodleUser = {
  id: 'U87654321',
  team_id: 'T87654321',
  name: 'golden',
  updated: 1_624_406_113,
  profile: { real_name: 'Golden', display_name: 'Golden', team: 'T87654321' },
};

/**
 * Events whose `channel` or `user` is an object, not an id (Slack's Events API reference,
 * example payload of each type), wrapped in their envelope. Every one must be accepted.
 */
export const slackObjectShapedEvents: Record<string, Record<string, unknown>> = {
  channel_created: envelope('Ev0CHANCREATE', {
    type: 'channel_created',
    channel: {
      id: 'C024BE91L',
      name: 'fun',
      created: 1_360_782_804,
      creator: 'U024BE7LH',
      is_shared: false,
      is_org_shared: false,
      context_team_id: 'T123ABC456',
    },
    event_ts: '1360782804.000000',
  }),
  channel_rename: envelope('Ev0CHANRENAME', {
    type: 'channel_rename',
    channel: { id: 'C02ELGNBH', name: 'new_name', created: 1_360_782_804 },
    event_ts: '1360782804.000100',
  }),
  group_rename: envelope('Ev0GROUPRENAME', {
    type: 'group_rename',
    channel: { id: 'G02ELGNBH', name: 'new_name', created: 1_360_782_804, is_group: true },
    event_ts: '1360782804.000200',
  }),
  im_created: envelope('Ev0IMCREATED', {
    type: 'im_created',
    user: 'U024BE7LH',
    channel: { id: 'D024BE91L', created: 1_360_782_804, is_im: true, user: 'U024BE7LH' },
    event_ts: '1360782804.000300',
  }),
  shared_channel_invite_accepted: envelope('Ev0SCIACCEPTED', {
    type: 'shared_channel_invite_accepted',
    approval_required: false,
    invite: sharedChannelInvite,
    channel: sharedChannel,
    teams_in_channel: teamsInChannel,
    accepting_user: doodleUser,
    event_ts: '1626877800.000000',
  }),
  shared_channel_invite_approved: envelope('Ev0SCIAPPROVED', {
    type: 'shared_channel_invite_approved',
    invite: sharedChannelInvite,
    channel: sharedChannel,
    approving_team_id: 'T87654321',
    teams_in_channel: teamsInChannel,
    approving_user: doodleUser,
    event_ts: '1626881400.000000',
  }),
  shared_channel_invite_declined: envelope('Ev0SCIDECLINED', {
    type: 'shared_channel_invite_declined',
    invite: sharedChannelInvite,
    channel: sharedChannel,
    declining_team_id: 'T87654321',
    teams_in_channel: teamsInChannel,
    declining_user: doodleUser,
    event_ts: '1626881400.000000',
  }),
  shared_channel_invite_received: envelope('Ev0SCIRECEIVED', {
    type: 'shared_channel_invite_received',
    invite: sharedChannelInvite,
    channel: sharedChannel,
    event_ts: '1626876010.000100',
  }),
  team_join: envelope('Ev0TEAMJOIN', {
    type: 'team_join',
    user: userObject(),
    cache_ts: 1_626_877_800,
    event_ts: '1626877800.000400',
  }),
  user_change: envelope('Ev0USERCHANGE', {
    type: 'user_change',
    user: userObject(),
    cache_ts: 1_626_877_801,
    event_ts: '1626877801.000500',
  }),
  user_huddle_changed: envelope('Ev0USERHUDDLE', {
    type: 'user_huddle_changed',
    user: userObject({ profile: { ...userObject().profile, huddle_state: 'in_a_huddle' } }),
    cache_ts: 1_626_877_802,
    event_ts: '1626877802.000600',
  }),
  user_profile_changed: envelope('Ev0USERPROFILE', {
    type: 'user_profile_changed',
    user: userObject(),
    cache_ts: 1_626_877_803,
    event_ts: '1626877803.000700',
  }),
  user_status_changed: envelope('Ev0USERSTATUS', {
    type: 'user_status_changed',
    user: userObject(),
    cache_ts: 1_626_877_804,
    event_ts: '1626877804.000800',
  }),
};

/**
 * Payloads shaped as Slack sends them (from Slack's Events API, slash command and interactivity
 * documentation), for tests of the receivers, the catalog schemas and the handlers.
 */
export const slackSamples = {
  appMention: {
    token: 'ZZZZZZWSxiZZZ2yIvs3peJ',
    team_id: 'T123ABC456',
    api_app_id: 'A123ABC456',
    event: {
      type: 'app_mention',
      user: 'U123ABC456',
      text: 'What is the hour of the pearl, <@U0LAN0Z89>?',
      ts: '1515449522.000016',
      channel: 'C123ABC456',
      event_ts: '1515449522000016',
    },
    type: 'event_callback',
    event_id: 'Ev123ABC456',
    event_time: 1515449522000016,
    authed_users: ['U0LAN0Z89'],
    authorizations: [
      { enterprise_id: null, team_id: 'T123ABC456', user_id: 'U0LAN0Z89', is_bot: true },
    ],
    is_ext_shared_channel: false,
    event_context: '4-eyJldCI6ImFwcF9tZW50aW9uIn0',
  },
  urlVerification: {
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    type: 'url_verification',
  },
  slashCommand: {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0001',
    team_domain: 'example',
    enterprise_id: 'E0001',
    enterprise_name: 'Globular Construct Inc',
    channel_id: 'C2147483705',
    channel_name: 'test',
    user_id: 'U2147483697',
    user_name: 'Steve',
    command: '/weather',
    text: '94070',
    response_url: 'https://hooks.slack.com/commands/1234/5678',
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
    api_app_id: 'A123456',
  },
  blockAction: {
    type: 'block_actions',
    user: { id: 'U123', username: 'jane', name: 'jane', team_id: 'T123' },
    api_app_id: 'A123',
    token: 'verification-token',
    container: { type: 'message', message_ts: '1548261231.000200', channel_id: 'C123' },
    trigger_id: '12466734323.1395872398',
    team: { id: 'T123', domain: 'example' },
    response_url: 'https://hooks.slack.com/actions/T123/1/abc',
    actions: [{ action_id: 'approve', block_id: 'b1', type: 'button', value: 'yes' }],
  },
  /**
   * An event from an org-wide (Enterprise Grid) install: `team_id` is null, the organisation is
   * in `enterprise_id`, `authorizations[].enterprise_id` and `context_enterprise_id`.
   */
  orgWideMessage: {
    token: 'ZZZZZZWSxiZZZ2yIvs3peJ',
    team_id: null,
    enterprise_id: 'E0123ABC456',
    context_team_id: null,
    context_enterprise_id: 'E0123ABC456',
    api_app_id: 'A123ABC456',
    event: {
      type: 'message',
      user: 'W123ABC456',
      text: 'Hello from the whole organisation',
      ts: '1626877800.000900',
      team: 'T0123ABC4',
      channel: 'C0123ABC456',
      event_ts: '1626877800.000900',
      channel_type: 'channel',
    },
    type: 'event_callback',
    event_id: 'Ev0ORGWIDE1',
    event_time: 1_626_877_800,
    authorizations: [
      {
        enterprise_id: 'E0123ABC456',
        team_id: null,
        user_id: 'W0LAN0Z89',
        is_bot: true,
        is_enterprise_install: true,
      },
    ],
    is_ext_shared_channel: false,
    event_context: '4-eyJldCI6Im1lc3NhZ2UifQ',
  },
  /** An `external_select` asking for its options as the user types (Block Kit). */
  blockSuggestion: {
    type: 'block_suggestion',
    user: { id: 'U123', username: 'jane', name: 'jane', team_id: 'T123' },
    container: { type: 'view', view_id: 'V0123ABC456' },
    api_app_id: 'A123',
    token: 'verification-token',
    action_id: 'pick_ticket',
    block_id: 'ticket_block',
    value: 'INC-4',
    team: { id: 'T123', domain: 'example' },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: 'V0123ABC456', type: 'modal', callback_id: 'ticket_modal', blocks: [] },
  },
  /** A legacy dialog's external select asking for its options. */
  dialogSuggestion: {
    type: 'dialog_suggestion',
    token: 'W3VDvuzi2nRLsiaDOsmJranO',
    action_ts: '1528203589.238335',
    team: { id: 'T24BH1RH8', domain: 'hooli-hq' },
    user: { id: 'U900MV5U7', name: 'gbelson' },
    channel: { id: 'C012AB3CD', name: 'triage-platform' },
    name: 'external_data',
    value: 'bu',
    callback_id: 'bugs',
  },
};

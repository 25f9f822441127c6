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
};

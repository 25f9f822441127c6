/** Valid payloads for the catalog queues, as clients send them. */
export const ingestData = (documentId: string, text = 'hello') => ({
  documentId,
  source: { kind: 'inline', text },
});

export const slackEvent = (eventId: string, type = 'app_mention') => ({
  type: 'event_callback',
  team_id: 'T0TEST',
  api_app_id: 'A0TEST',
  event: { type, user: 'U0TEST', text: 'hi <@U0BOT>', channel: 'C0TEST', ts: '1700000000.000100' },
  event_id: eventId,
  event_time: 1_700_000_000,
});

export const slashCommandForm = () =>
  new URLSearchParams({
    command: '/conveyor',
    text: 'status please',
    team_id: 'T0TEST',
    channel_id: 'C0TEST',
    user_id: 'U0TEST',
    response_url: 'https://hooks.slack.test/commands/1',
    trigger_id: '123.456',
  }).toString();

export const interactionPayload = () => ({
  type: 'block_actions',
  user: { id: 'U0TEST' },
  team: { id: 'T0TEST' },
  response_url: 'https://hooks.slack.test/actions/1',
  actions: [{ action_id: 'approve', value: 'yes' }],
});

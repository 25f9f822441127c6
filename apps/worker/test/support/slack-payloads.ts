import { randomUUID } from 'node:crypto';

let sequence = 0;

/** A Slack message ts, unique within the run. */
export function slackTs(): string {
  sequence += 1;
  return `${Math.floor(Date.now() / 1000) - 60}.${String(sequence).padStart(6, '0')}`;
}

/** An Events API `event_callback` envelope. */
export function eventEnvelope(event: Record<string, unknown> & { type: string }) {
  return {
    type: 'event_callback',
    team_id: 'T0001',
    api_app_id: 'A0001',
    event_id: `Ev${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  };
}

/** An `app_mention` envelope in `channel`. */
export function appMention(
  options: { channel?: string; text?: string; threadTs?: string; ts?: string } & Record<
    string,
    unknown
  > = {},
) {
  const {
    channel = 'C0001',
    text = '<@U0BOT> hello there',
    threadTs,
    ts = slackTs(),
    ...rest
  } = options;
  return eventEnvelope({
    type: 'app_mention',
    user: 'U0001',
    text,
    channel,
    ts,
    event_ts: ts,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...rest,
  });
}

/** A slash command's form fields. */
export function slashCommand(responseUrl: string, command = '/conveyor', text = 'status') {
  return {
    command,
    text,
    team_id: 'T0001',
    channel_id: 'C0001',
    user_id: 'U0001',
    response_url: responseUrl,
    trigger_id: `trigger-${randomUUID()}`,
  };
}

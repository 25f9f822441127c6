import { describe, expect, it } from 'vitest';
import { deadLetterQueueName, isQueueName, QUEUE_CATALOG, QUEUE_NAMES } from './queue-catalog.js';
import { slackEnvelopeSchema } from './schemas/slack-envelope.js';

/** Shapes as Slack sends them (from Slack's Events API, slash command and interactivity docs). */
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

describe('queue catalog', () => {
  it('holds the DESIGN table: attempts, backoff with jitter, retention', () => {
    expect(QUEUE_NAMES).toEqual(['slack-events', 'ingestion']);
    expect(QUEUE_CATALOG['slack-events'].defaultJobOptions).toEqual({
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 86_400 },
    });
    expect(QUEUE_CATALOG.ingestion.defaultJobOptions).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 5000, jitter: 0.5 },
    });
    expect(deadLetterQueueName('ingestion')).toBe('ingestion-dead-letters');
    expect(isQueueName('ingestion')).toBe(true);
    expect(isQueueName('__proto__')).toBe(false);
    expect(isQueueName('toString')).toBe(false);
  });

  it('names a Slack event job by its event type and dedupes it by event_id', () => {
    const parsed = QUEUE_CATALOG['slack-events'].parseJob(undefined, slackSamples.appMention);
    expect(parsed).toMatchObject({
      ok: true,
      name: 'app_mention',
      dedupeKey: 'slack-event:Ev123ABC456',
    });
    const mismatch = QUEUE_CATALOG['slack-events'].parseJob(
      'reaction_added',
      slackSamples.appMention,
    );
    expect(mismatch.ok).toBe(false);
  });

  it('accepts real Slack envelopes, commands and interactions, keeping unknown fields', () => {
    expect(slackEnvelopeSchema.parse(slackSamples.urlVerification).type).toBe('url_verification');
    const command = QUEUE_CATALOG['slack-events'].parseJob(
      'slash_command',
      slackSamples.slashCommand,
    );
    expect(command).toMatchObject({
      ok: true,
      data: { enterprise_name: 'Globular Construct Inc' },
    });
    const action = QUEUE_CATALOG['slack-events'].parseJob('interaction', slackSamples.blockAction);
    expect(action.ok).toBe(true);
  });

  it('rejects a Slack event without event_id, naming the path', () => {
    const { event_id: _, ...withoutId } = slackSamples.appMention;
    const parsed = QUEUE_CATALOG['slack-events'].parseJob(undefined, withoutId);
    expect(parsed).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: 'data.event_id' })],
    });
  });

  it('validates ingestion payloads per DESIGN', () => {
    const { parseJob } = QUEUE_CATALOG.ingestion;
    const inline = parseJob(undefined, {
      documentId: 'doc-1.v2:a_b',
      source: { kind: 'inline', text: 'hello' },
    });
    expect(inline).toMatchObject({
      ok: true,
      name: 'ingest',
      data: { source: { mediaType: 'text/plain' } },
    });
    const bad = parseJob(undefined, {
      documentId: 'has space',
      source: { kind: 'url', url: 'ftp://example.com/x' },
      extra: true,
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.issues.map((issue) => issue.path).sort()).toEqual([
        'data',
        'data.documentId',
        'data.source.url',
      ]);
    }
    expect(parseJob('other', { documentId: 'a', source: { kind: 'inline', text: '' } }).ok).toBe(
      false,
    );
    expect(
      parseJob(undefined, { documentId: 'x'.repeat(201), source: { kind: 'inline', text: '' } }).ok,
    ).toBe(false);
    expect(
      parseJob(undefined, {
        documentId: 'a',
        source: { kind: 'inline', text: '', mediaType: 'application/pdf' },
      }).ok,
    ).toBe(false);
  });
});

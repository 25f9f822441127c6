import { slackObjectShapedEvents, slackSamples } from '@conveyor/testing';
import { describe, expect, it } from 'vitest';
import { deadLetterQueueName, isQueueName, QUEUE_CATALOG, QUEUE_NAMES } from './queue-catalog.js';
import { slackEnvelopeSchema } from './schemas/slack-envelope.js';

describe('queue catalog', () => {
  it('holds the README queue table: attempts, backoff with jitter, retention', () => {
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

  it('accepts every documented event shape: object channel or user, null team_id', () => {
    const { parseJob } = QUEUE_CATALOG['slack-events'];
    const shapes = { ...slackObjectShapedEvents, org_wide_message: slackSamples.orgWideMessage };
    expect(Object.keys(shapes)).toHaveLength(14);
    for (const [label, envelope] of Object.entries(shapes)) {
      const parsed = parseJob(undefined, envelope);
      expect(parsed, label).toMatchObject({
        ok: true,
        dedupeKey: `slack-event:${envelope.event_id}`,
      });
      // Kept as Slack sent it, but for the verification token.
      const { token: _, ...sent } = envelope;
      expect(parsed.ok && parsed.data, label).toEqual(sent);
    }
  });

  it("never keeps Slack's verification token, in events, commands or interactions", () => {
    const { parseJob } = QUEUE_CATALOG['slack-events'];
    const jobs = [
      parseJob(undefined, slackSamples.appMention),
      parseJob('slash_command', slackSamples.slashCommand),
      parseJob('interaction', slackSamples.blockAction),
    ];
    for (const parsed of jobs) {
      expect(parsed.ok).toBe(true);
      expect(parsed.ok && parsed.data).not.toHaveProperty('token');
    }
  });

  it('dedupes slash commands and interactions by trigger_id, when they carry one', () => {
    const { parseJob } = QUEUE_CATALOG['slack-events'];
    expect(parseJob('slash_command', slackSamples.slashCommand)).toMatchObject({
      dedupeKey: 'slack-trigger:13345224609.738474920.8088930838d88f008e0',
    });
    expect(parseJob('interaction', slackSamples.blockAction)).toMatchObject({
      dedupeKey: 'slack-trigger:12466734323.1395872398',
    });
    const { trigger_id: _, ...untriggered } = slackSamples.blockAction;
    expect(parseJob('interaction', untriggered)).not.toHaveProperty('dedupeKey');
  });

  it('rejects a Slack event without event_id, naming the path', () => {
    const { event_id: _, ...withoutId } = slackSamples.appMention;
    const parsed = QUEUE_CATALOG['slack-events'].parseJob(undefined, withoutId);
    expect(parsed).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: 'data.event_id' })],
    });
  });

  it('validates ingestion payloads as the README queue table states', () => {
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

/**
 * The jobs the bench sends. Realistic in shape and size (a few hundred bytes), so that parsing,
 * validation and serialisation cost what they cost in production.
 */

/**
 * A Slack event type no handler claims: the worker's `slack-events` fallback completes it as
 * ignored. This is the product's own near no-op path, so the worker figures need no bench-only
 * code in the product.
 */
export const BENCH_EVENT_TYPE = 'conveyor_bench';

/** `ingestion` job data: a document fetched by URL, with the optional fields filled in. */
export function ingestionPayload(index: number) {
  return {
    documentId: `handbook-${index}`,
    source: { kind: 'url', url: 'https://docs.example.com/handbook/onboarding.html' },
    orgId: 'org-1042',
    metadata: { title: 'Employee onboarding handbook', language: 'en', tags: ['hr', 'handbook'] },
  };
}

/**
 * `ingestion` job data with a small inline Markdown document (about 400 bytes, one chunk): the
 * whole `ingest` handler runs (lock, extract, hash, chunk, sink, state) without a fetch.
 */
export function inlineIngestionPayload(documentId: string) {
  return {
    documentId,
    source: {
      kind: 'inline',
      mediaType: 'text/markdown',
      text:
        '# Expense policy\n\nKeep every receipt above 25 EUR and submit it within 30 days of the ' +
        'purchase. Travel is booked through the travel desk; hotels up to 150 EUR a night need no ' +
        'approval.\n\n## Meals\n\nMeals with customers are reimbursed when the attendees are ' +
        'listed on the claim. Alcohol is never reimbursed.',
    },
    orgId: 'org-1042',
    metadata: { title: 'Expense policy', language: 'en' },
  };
}

/** Where a Slack event comes from: its workspace (the job's tenant), channel and user. */
export interface SlackOrigin {
  /** @defaultValue 'T0BENCH01' */
  teamId?: string;
  /** @defaultValue 'C0BENCH01' */
  channel?: string;
  /** @defaultValue 'U0BENCH01' */
  user?: string;
}

/** A Slack `reaction_added` event: no built-in handler claims it, so the fallback ignores it. */
export function reactionAddedEnvelope(eventId: string, origin: SlackOrigin = {}) {
  const envelope = benchEventEnvelope(eventId, origin);
  const { ts } = envelope.event;
  return {
    ...envelope,
    event: {
      type: 'reaction_added',
      user: origin.user ?? 'U0BENCH01',
      reaction: 'thumbsup',
      item: { type: 'message', channel: origin.channel ?? 'C0BENCH01', ts },
      item_user: 'U0BENCH03',
      event_ts: ts,
    },
  };
}

/** A Slack Events API `event_callback` of {@link BENCH_EVENT_TYPE}; `eventId` must be unique. */
export function benchEventEnvelope(eventId: string, origin: SlackOrigin = {}) {
  const now = Date.now();
  const ts = `${Math.floor(now / 1000)}.${String(now % 1000).padStart(6, '0')}`;
  const teamId = origin.teamId ?? 'T0BENCH01';
  return {
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    team_id: teamId,
    api_app_id: 'A0BENCH01',
    event: {
      type: BENCH_EVENT_TYPE,
      user: origin.user ?? 'U0BENCH01',
      text: 'a benchmark event that no handler claims',
      channel: origin.channel ?? 'C0BENCH01',
      ts,
      event_ts: ts,
    },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(now / 1000),
    authorizations: [{ team_id: teamId, user_id: 'U0BENCH02', is_bot: true }],
    is_ext_shared_channel: false,
  };
}

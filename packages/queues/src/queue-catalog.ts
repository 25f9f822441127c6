import { BACKOFF_JITTER, KEEP_COMPLETED, KEEP_FAILED } from './job-policies.js';
import { type ParsedJob, type QueueDefinition, toPayloadIssues } from './queue-definition.js';
import { type IngestionPayload, ingestionPayloadSchema } from './schemas/ingestion-payload.js';
import { parseCommonIngestionPayload } from './schemas/parse-common-ingestion-payload.js';
import { slackEventCallbackSchema } from './schemas/slack-envelope.js';
import { slackInteractionSchema } from './schemas/slack-interaction.js';
import { slackSlashCommandSchema } from './schemas/slack-slash-command.js';
import { SLACK_SEARCH_KEYS } from './search/slack-search-keys.js';
import { isTenant } from './tenants/job-tenant.js';
import { slackTenant } from './tenants/slack-tenant.js';

/** Job names on `slack-events` that are not Events API event types. */
export const SLACK_SLASH_COMMAND_JOB = 'slash_command';
export const SLACK_INTERACTION_JOB = 'interaction';
export const INGEST_JOB = 'ingest';

/** Slack's `response_url` of a slash command or interaction works for 30 minutes. */
const SLACK_RESPONSE_URL_LIFE_MS = 30 * 60 * 1000;

const JOB_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * Slack's legacy verification `token` is a secret shared by every request of the app: it is not
 * stored (jobs are readable over the API and in the dashboard). Signatures replaced it.
 */
function withoutVerificationToken(data: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(data, 'token')) return data;
  const { token: _secret, ...rest } = data;
  return rest;
}

function parseSlackJob(name: string | undefined, data: unknown): ParsedJob {
  if (name !== undefined && !JOB_NAME_PATTERN.test(name)) {
    return {
      ok: false,
      issues: [{ path: 'name', message: 'must be 1-100 of A-Z a-z 0-9 _ . : -' }],
    };
  }
  if (name === SLACK_SLASH_COMMAND_JOB || name === SLACK_INTERACTION_JOB) {
    const schema =
      name === SLACK_SLASH_COMMAND_JOB ? slackSlashCommandSchema : slackInteractionSchema;
    const parsed = schema.safeParse(data);
    if (!parsed.success) return { ok: false, issues: toPayloadIssues(parsed.error, 'data') };
    // `trigger_id` is unique per invocation: a replayed signed request is stored once.
    const triggerId = parsed.data.trigger_id;
    return {
      ok: true,
      name,
      data: withoutVerificationToken(parsed.data),
      ...(typeof triggerId === 'string' && triggerId !== ''
        ? { dedupeKey: `slack-trigger:${triggerId}` }
        : {}),
    };
  }
  const parsed = slackEventCallbackSchema.safeParse(data);
  if (!parsed.success) return { ok: false, issues: toPayloadIssues(parsed.error, 'data') };
  const eventType = parsed.data.event.type;
  if (name !== undefined && name !== eventType) {
    return {
      ok: false,
      issues: [
        { path: 'name', message: `must be the event type ${JSON.stringify(eventType)} or omitted` },
      ],
    };
  }
  return {
    ok: true,
    name: eventType,
    data: withoutVerificationToken(parsed.data),
    dedupeKey: `slack-event:${parsed.data.event_id}`,
  };
}

function parseIngestJob(name: string | undefined, data: unknown): ParsedJob {
  if (name !== undefined && name !== INGEST_JOB) {
    return { ok: false, issues: [{ path: 'name', message: `must be "${INGEST_JOB}" or omitted` }] };
  }
  const common = parseCommonIngestionPayload(data);
  if (common !== undefined) return { ok: true, name: INGEST_JOB, data: common };
  const parsed = ingestionPayloadSchema.safeParse(data);
  return parsed.success
    ? { ok: true, name: INGEST_JOB, data: parsed.data }
    : { ok: false, issues: toPayloadIssues(parsed.error, 'data') };
}

/** The queue catalog: the single source of truth for every queue Conveyor runs. */
export const QUEUE_CATALOG = {
  'slack-events': {
    name: 'slack-events',
    description: 'Slack Events API deliveries, slash commands and interactivity payloads',
    jobs: {
      '<event type>': {
        description: 'An Events API event_callback envelope; the job name is event.type',
        schema: slackEventCallbackSchema,
      },
      [SLACK_SLASH_COMMAND_JOB]: {
        description: 'A slash command',
        schema: slackSlashCommandSchema,
      },
      [SLACK_INTERACTION_JOB]: {
        description: 'An interactivity payload',
        schema: slackInteractionSchema,
      },
    },
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000, jitter: BACKOFF_JITTER },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    },
    expiresInMs: {
      [SLACK_SLASH_COMMAND_JOB]: SLACK_RESPONSE_URL_LIFE_MS,
      [SLACK_INTERACTION_JOB]: SLACK_RESPONSE_URL_LIFE_MS,
    },
    searchKeys: SLACK_SEARCH_KEYS,
    tenantSearchKey: 'team_id',
    parseJob: parseSlackJob,
    tenantOf: (_name, data) => slackTenant(data),
  },
  ingestion: {
    name: 'ingestion',
    description: 'Document ingestion: fetch or take text, chunk it, write the chunks',
    jobs: { [INGEST_JOB]: { description: 'Ingest one document', schema: ingestionPayloadSchema } },
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 5000, jitter: BACKOFF_JITTER },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    },
    searchKeys: {
      documentId: (data) => (data as Partial<IngestionPayload> | null)?.documentId,
      orgId: (data) => (data as Partial<IngestionPayload> | null)?.orgId,
    },
    tenantSearchKey: 'orgId',
    parseJob: parseIngestJob,
    tenantOf: (_name, data) => {
      const orgId = (data as { orgId?: unknown }).orgId;
      return isTenant(orgId) ? orgId : undefined;
    },
  },
} as const satisfies Record<string, QueueDefinition>;

export type QueueName = keyof typeof QUEUE_CATALOG;
export const QUEUE_NAMES = Object.keys(QUEUE_CATALOG) as QueueName[];

/** True when `name` is a catalog queue. */
export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(QUEUE_CATALOG, name);
}

/** The dead-letter queue of a catalog queue. */
export function deadLetterQueueName(queue: QueueName): string {
  return `${queue}-dead-letters`;
}

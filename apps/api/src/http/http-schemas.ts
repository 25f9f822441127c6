import { TENANT_PATTERN, TENANT_RULE } from '@conveyor/queues';
import { z } from 'zod';

/**
 * The HTTP API's own request and answer shapes. Requests are validated with these schemas and
 * `GET /openapi.json` is generated from them (with the catalog's payload schemas), so the
 * published document is the validation itself.
 */

/** Longest delay `MAX_DELAY_MS` may allow: a year (its default is 7 days). */
export const MAX_DELAY_MS = 365 * 24 * 60 * 60 * 1000;
/** Most jobs in one bulk request. */
export const MAX_BULK_JOBS = 1000;

export const jobOptionsSchema = z.strictObject({
  delay: z
    .number()
    .int()
    .min(0)
    .max(MAX_DELAY_MS)
    .optional()
    .describe('Milliseconds before the job may run; at most MAX_DELAY_MS (default 7 days)'),
  priority: z
    .number()
    .int()
    .min(1)
    // BullMQ's own bound (2^21 - 1): a larger priority would be refused by Redis as a 500.
    .max(2_097_151)
    .optional()
    .describe(
      "1 is the highest: the job goes ahead of its tenant's own backlog, priority - 1 turns after the queue's head; omitted: the tenant's next turn",
    ),
  tenant: z
    .string()
    .regex(TENANT_PATTERN, { error: TENANT_RULE })
    .optional()
    .describe(
      'Who the job is for; workers take jobs round-robin across tenants. Omitted: derived by the queue (slack-events: the Slack team_id, or the enterprise id of an org-wide install; ingestion: data.orgId), else default',
    ),
  expiresInMs: z
    .number()
    .int()
    .min(1)
    .max(MAX_DELAY_MS)
    .optional()
    .describe(
      'The job must start within this many milliseconds of being enqueued, or it never runs: it ends `expired` and is listed with the dead letters. Slack slash commands and interactions default to 30 minutes',
    ),
});

/** `POST /v1/queues/:queue/jobs`, and each entry of a bulk request. */
export const enqueueRequestSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Job name; derived from the queue and payload when omitted'),
  data: z
    .custom<unknown>((value) => value !== undefined, { error: 'is required: the job payload' })
    .describe("The job's payload, validated against the queue's schema"),
  options: jobOptionsSchema.optional(),
});

/** The outer shape of `POST /v1/queues/:queue/jobs/bulk`; each job is checked on its own. */
export const bulkEnvelopeSchema = z.strictObject({
  jobs: z.array(z.unknown()).min(1).max(MAX_BULK_JOBS),
});

export const bulkEnqueueRequestSchema = z.strictObject({
  jobs: z.array(enqueueRequestSchema).min(1).max(MAX_BULK_JOBS),
});

export const enqueueResponseSchema = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  deduplicated: z
    .boolean()
    .describe(
      'True when an earlier job with the same Idempotency-Key or Slack event_id was returned',
    ),
});

export const bulkEnqueueResponseSchema = z.object({
  jobs: z.array(z.object({ id: z.string(), deduplicated: z.boolean() })),
});

export const jobResponseSchema = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  tenant: z
    .string()
    .describe('Who the job is for: options.tenant, else derived by the queue, else default'),
  state: z
    .string()
    .describe(
      'waiting (its turn among its tenants has not come), active, delayed, completed, failed, cancelled, expired, waiting-children or unknown',
    ),
  data: z.unknown().describe('The payload; null for a job cancelled before it ran'),
  progress: z.unknown(),
  attemptsMade: z.number().int(),
  returnValue: z.unknown().describe('What the worker returned, null until completed'),
  failedReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  processedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});

export const queuesResponseSchema = z.object({
  queues: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      counts: z.record(z.string(), z.number().int()),
      deadLetters: z.number().int(),
    }),
  ),
});

/** `GET /v1/queues/:queue/backlog`: what KEDA's `metrics-api` scaler reads (`valueLocation: backlog`). */
export const queueBacklogResponseSchema = z.object({
  queue: z.string(),
  backlog: z
    .number()
    .int()
    .describe(
      'Jobs a worker could start now: waiting + prioritized + delayed that are due; 0 while paused',
    ),
  oldestAgeSeconds: z
    .number()
    .describe(
      'Seconds since the oldest of those became ready (enqueued, or due for a delayed job); 0 when there is none',
    ),
  paused: z.boolean(),
});

/** A query parameter holding a plain decimal number (no `0x10`, `1e3` or `1.0`), or absent. */
export const pageNumber = (range: { min: number; max: number; fallback: number }) =>
  z
    .string()
    .regex(/^\d{1,7}$/, { error: 'must be a whole number' })
    .optional()
    .transform((value) => (value === undefined ? range.fallback : Number(value)))
    .pipe(z.number().int().min(range.min).max(range.max));

/** Query of `GET /v1/queues/:queue/dead-letters`. */
export const deadLetterPageSchema = z.object({
  offset: pageNumber({ min: 0, max: 1_000_000, fallback: 0 }),
  limit: pageNumber({ min: 1, max: 100, fallback: 20 }),
});

/** Query of `GET /v1/queues/:queue/tenants`. */
export const tenantPageSchema = z.object({
  limit: pageNumber({ min: 1, max: 100, fallback: 20 }),
  cursor: z
    .string()
    .regex(/^\d{1,5}$/, { error: 'must be the next of a previous page' })
    .optional(),
});

export const tenantListResponseSchema = z.object({
  queue: z.string(),
  tenants: z
    .array(
      z.object({
        tenant: z.string(),
        waiting: z
          .number()
          .int()
          .describe(
            'Jobs not started yet (its turns past the queue head, and jobs parked at its cap)',
          ),
        active: z.number().int().describe('Jobs running now'),
        limitedUntil: z
          .number()
          .int()
          .optional()
          .describe(
            'While the tenant is paused (a Slack 429 for its workspace): until when, epoch ms',
          ),
      }),
    )
    .describe('Largest backlog first'),
  next: z.string().optional().describe('The cursor of the next page; absent on the last'),
});

/** Longest `waitMs` of `GET /v1/queues/:queue/jobs/:id`. */
export const MAX_WAIT_MS = 60_000;

/** Query of `GET /v1/queues/:queue/jobs/:id`. */
export const jobStatusQuerySchema = z.object({
  waitMs: pageNumber({ min: 0, max: MAX_WAIT_MS, fallback: 0 }).describe(
    'Milliseconds to wait for the job to complete or fail for good before answering',
  ),
});

export const deadLetterSchema = z.object({
  id: z.string().describe('The dead letter id, to replay it'),
  queue: z.string(),
  jobId: z.string(),
  name: z.string(),
  data: z.unknown(),
  tenant: z.string().optional().describe("The job's tenant, kept by a replay"),
  failedReason: z.string(),
  stacktrace: z.array(z.string()),
  attemptsMade: z.number().int(),
  unrecoverable: z.boolean(),
  reason: z
    .enum(['failed', 'expired'])
    .optional()
    .describe('failed: its handler failed for good; expired: not started by its deadline'),
  failedAt: z.iso.datetime(),
});

export const deadLetterListResponseSchema = z.object({
  queue: z.string(),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  items: z.array(deadLetterSchema).describe('Newest first'),
});

export const cancelResponseSchema = z.object({
  id: z.string(),
  state: z
    .enum(['cancelled', 'active'])
    .describe(
      'cancelled: removed before it ran; active: running, its handler signalled, it ends cancelled',
    ),
});

export const replayResponseSchema = z.object({
  id: z.string().describe("The new job's id on the origin queue"),
  queue: z.string(),
});

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .unknown()
      .optional()
      .describe('For invalid payloads: issues, each with the failing path and why'),
  }),
});

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, { error: 'must be 1-200 printable ASCII characters without spaces' });

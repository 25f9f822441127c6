import {
  MAX_SEARCH_LIMIT,
  MAX_SEARCH_VALUE_LENGTH,
  QUEUE_NAMES,
  SEARCH_STATES,
} from '@conveyor/queues';
import { z } from 'zod';
import { pageNumber } from '../http/http-schemas.js';

/** Longest cursor accepted: a cursor the API answered is far shorter. */
const MAX_CURSOR_LENGTH = 512;

/** Query of `GET /v1/search`. */
export const searchQuerySchema = z.object({
  key: z
    .string()
    .min(1)
    .max(64)
    .describe(
      'A business key: documentId, orgId, event_id, team_id, channel, user, tenant, idempotencyKey or id',
    ),
  value: z.string().min(1).max(MAX_SEARCH_VALUE_LENGTH).describe('The exact value'),
  queue: z.enum(QUEUE_NAMES).optional().describe('Only this queue and its dead letters'),
  state: z.enum(SEARCH_STATES).optional().describe('Only jobs in this state now'),
  limit: pageNumber({ min: 1, max: MAX_SEARCH_LIMIT, fallback: 20 }),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_LENGTH)
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'must be the next of a previous page' })
    .optional()
    .describe('The `next` of the previous page'),
});

/** One job a search found. */
export const foundJobSchema = z.object({
  queue: z.enum(QUEUE_NAMES).describe('The catalog queue (a dead letter: the queue it died in)'),
  id: z.string().describe("The job's id (a dead letter: the dead letter's id, which replays it)"),
  name: z.string(),
  state: z.enum(SEARCH_STATES).describe('A dead letter is failed or expired'),
  tenant: z.string().nullable(),
  keys: z
    .record(z.string(), z.string())
    .describe('The business keys it is indexed under (idempotencyKey only when searched by it)'),
  createdAt: z.string().describe('Enqueued (a dead letter: recorded), ISO 8601'),
  finishedAt: z.string().optional(),
  failedReason: z.string().optional(),
  deadLetter: z.boolean(),
  originJobId: z.string().optional().describe("A dead letter's origin job id"),
});

/** Answer of `GET /v1/search`. */
export const searchResponseSchema = z.object({
  jobs: z.array(foundJobSchema).describe('Newest first'),
  next: z.string().optional().describe('Cursor of the next page; absent on the last'),
});

import { QUEUE_CATALOG, QUEUE_NAMES } from '@conveyor/queues';
import { z } from 'zod';
import { jobStatusQuerySchema, MAX_WAIT_MS } from '../http/http-schemas.js';
import { FINAL_EVENT_ID } from '../routes/event-stream-routes.js';
import {
  MIN_EVERY_MS,
  scheduleIdSchema,
  scheduleListResponseSchema,
  scheduleRequestSchema,
  scheduleResponseSchema,
} from '../schedules/schedule-schemas.js';

type JsonSchema = Record<string, unknown>;

/** What the document builder shares with these paths. */
export interface OpenApiParts {
  jsonSchema: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema;
  json: (schema: JsonSchema) => unknown;
  ref: (name: string) => JsonSchema;
  /** Error answers by status (400, 401, 403, 404, 413, 415, 429, 503). */
  errors: Record<number, unknown>;
  queueParameter: unknown;
  idParameter: (description: string) => unknown;
}

const EVENTS_DESCRIPTION = `Server-sent events (\`text/event-stream\`). Events: \`progress\` \`{ queue, jobId, data }\`; \`completed\` \`{ queue, jobId, returnValue }\`; \`failed\` \`{ queue, jobId, reason, willRetry, attemptsMade? }\` (\`willRetry: false\` is final). A comment line is sent every EVENTS_HEARTBEAT_MS while idle; a client that reads too slowly for EVENTS_MAX_BUFFERED_BYTES of unsent events is disconnected. Send the bearer token in the Authorization header (an EventSource client with a custom fetch, or fetch itself).`;

/** Schemas of the wait, stream and schedule paths, for `components.schemas`. */
export function lifecycleSchemas(parts: OpenApiParts): Record<string, JsonSchema> {
  return {
    Schedule: parts.jsonSchema(scheduleResponseSchema, 'output'),
    ScheduleList: parts.jsonSchema(scheduleListResponseSchema, 'output'),
  };
}

/** `GET .../jobs/{id}?waitMs=`, the event streams and `/v1/schedules`. */
export function lifecyclePaths(parts: OpenApiParts): Record<string, unknown> {
  const { json, ref, errors, queueParameter, idParameter } = parts;
  const pick = (...codes: number[]) =>
    Object.fromEntries(codes.map((code) => [String(code), errors[code]]));
  const scheduleId = {
    name: 'id',
    in: 'path',
    required: true,
    schema: parts.jsonSchema(scheduleIdSchema, 'input'),
  };
  const waitMs = parts.jsonSchema(jobStatusQuerySchema, 'output') as {
    properties: { waitMs: JsonSchema };
  };
  const eventStream = { content: { 'text/event-stream': { schema: { type: 'string' } } } };
  const scheduleRequest = parts.jsonSchema(
    scheduleRequestSchema.safeExtend({
      data: z.unknown().describe("Each job's payload, validated against the queue's schema"),
    }),
    'input',
  );
  return {
    '/v1/queues/{queue}/jobs/{id}': {
      get: {
        operationId: 'getJob',
        summary: "A job's state, data, progress, attempts, result and timestamps",
        description: `With \`waitMs\` (at most ${MAX_WAIT_MS}), answers as soon as the job is completed or failed for good, or when the wait ends (then with the current state). At most MAX_WAITERS requests wait at once per API process; more answer 503 SUBSCRIBER_LIMIT.`,
        parameters: [
          queueParameter,
          idParameter('Job id'),
          {
            name: 'waitMs',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS, default: 0 },
            description: waitMs.properties.waitMs.description,
          },
        ],
        responses: {
          200: { description: 'The job', ...(json(ref('Job')) as object) },
          ...pick(400, 401, 403, 404, 429, 503),
        },
      },
    },
    '/v1/queues/{queue}/jobs/{id}/events': {
      get: {
        operationId: 'streamJobEvents',
        summary: "A job's events, until its final one",
        description: `${EVENTS_DESCRIPTION} The stream ends after the final event (id \`${FINAL_EVENT_ID}\`); a client connecting after the end gets the final event at once, and an EventSource reconnecting with \`Last-Event-ID: ${FINAL_EVENT_ID}\` gets 204, which stops it.`,
        parameters: [queueParameter, idParameter('Job id')],
        responses: {
          200: { description: 'The event stream', ...eventStream },
          204: { description: 'The job is over and this client saw its final event' },
          ...pick(401, 403, 404, 429, 503),
        },
      },
    },
    '/v1/queues/{queue}/events': {
      get: {
        operationId: 'streamQueueEvents',
        summary: "Every job's events of a queue (for a console); never ends by itself",
        description: EVENTS_DESCRIPTION,
        parameters: [queueParameter],
        responses: {
          200: { description: 'The event stream', ...eventStream },
          ...pick(401, 403, 404, 429, 503),
        },
      },
    },
    '/v1/schedules': {
      get: {
        operationId: 'listSchedules',
        summary: 'Every schedule (at most 1,000 per queue)',
        responses: {
          200: { description: 'Schedules', ...(json(ref('ScheduleList')) as object) },
          ...pick(401, 429, 503),
        },
      },
    },
    '/v1/schedules/{id}': {
      put: {
        operationId: 'putSchedule',
        summary: 'Create or replace a schedule (BullMQ job scheduler): one job per tick',
        description: `Exactly one of \`cron\` and \`everyMs\` (at least ${MIN_EVERY_MS}); \`tz\` applies to \`cron\`. \`data\` is validated like an enqueue on \`queue\`: ${QUEUE_NAMES.map((name) => `${name} (${QUEUE_CATALOG[name].description})`).join('; ')}. Each job takes the queue's retry policy and its tenant (\`options.tenant\`, else derived, within a tenant-scoped client's tenants, as an enqueue). An \`everyMs\` schedule's first job is due at once.`,
        parameters: [scheduleId],
        requestBody: { required: true, ...(json(scheduleRequest) as object) },
        responses: {
          200: { description: 'Replaced', ...(json(ref('Schedule')) as object) },
          201: { description: 'Created', ...(json(ref('Schedule')) as object) },
          ...pick(400, 401, 403, 413, 415, 429, 503),
        },
      },
      get: {
        operationId: 'getSchedule',
        summary: 'One schedule',
        parameters: [scheduleId],
        responses: {
          200: { description: 'The schedule', ...(json(ref('Schedule')) as object) },
          ...pick(400, 401, 403, 404, 429, 503),
        },
      },
      delete: {
        operationId: 'deleteSchedule',
        summary: 'Delete a schedule and its next pending job (jobs already due stay)',
        parameters: [scheduleId],
        responses: {
          204: { description: 'Deleted' },
          ...pick(400, 401, 403, 404, 429, 503),
        },
      },
    },
  };
}

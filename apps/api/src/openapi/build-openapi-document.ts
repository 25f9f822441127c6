import { QUEUE_CATALOG, QUEUE_NAMES, type QueueName } from '@conveyor/queues';
import { z } from 'zod';
import {
  bulkEnqueueResponseSchema,
  cancelResponseSchema,
  deadLetterListResponseSchema,
  enqueueRequestSchema,
  enqueueResponseSchema,
  errorResponseSchema,
  idempotencyKeySchema,
  jobResponseSchema,
  MAX_BULK_JOBS,
  queuesResponseSchema,
  replayResponseSchema,
} from '../http-schemas.js';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), without `$schema`. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/** The payload schema of a queue's jobs: one schema, or any of its job kinds. */
function payloadSchema(queue: QueueName): z.ZodType {
  const schemas = Object.values(QUEUE_CATALOG[queue].jobs).map((job) => job.schema);
  const [first, second, ...rest] = schemas;
  if (first === undefined) return z.unknown();
  return second === undefined ? first : z.union([first, second, ...rest]);
}

const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorAnswer = (description: string) => ({ description, ...json(ref('Error')) });

const ERRORS = {
  400: errorAnswer('Invalid JSON, payload, query or header; details.issues names each path'),
  401: errorAnswer('Missing or invalid bearer token'),
  404: errorAnswer('Unknown queue or job'),
  409: errorAnswer('The job already ended (JOB_FINISHED); details.state says how'),
  413: errorAnswer('Job data larger than MAX_JOB_BYTES, or body too large'),
  415: errorAnswer('Body is not application/json'),
  429: errorAnswer('Rate limit reached; see Retry-After'),
  503: errorAnswer('Redis unavailable; nothing was stored; see Retry-After'),
};
const pick = (...codes: (keyof typeof ERRORS)[]) =>
  Object.fromEntries(codes.map((code) => [String(code), ERRORS[code]]));

const queueParameter = {
  name: 'queue',
  in: 'path',
  required: true,
  schema: { type: 'string', enum: QUEUE_NAMES },
};
const idParameter = (description: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const idempotencyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'The same key within 24 hours returns the first job instead of adding another',
  schema: jsonSchema(idempotencyKeySchema, 'input'),
};

function enqueuePaths(queue: QueueName) {
  const request = enqueueRequestSchema.extend({ data: payloadSchema(queue) });
  const tag = [queue];
  return {
    [`/v1/queues/${queue}/jobs`]: {
      post: {
        tags: tag,
        summary: `Enqueue one ${queue} job`,
        parameters: [idempotencyParameter],
        requestBody: { required: true, ...json(jsonSchema(request, 'input')) },
        responses: {
          202: {
            description: 'Stored (or found by its idempotency key)',
            ...json(ref('EnqueueResult')),
          },
          ...pick(400, 401, 413, 415, 429, 503),
        },
      },
    },
    [`/v1/queues/${queue}/jobs/bulk`]: {
      post: {
        tags: tag,
        summary: `Enqueue up to ${MAX_BULK_JOBS} ${queue} jobs, all or none`,
        description:
          'Every job is stored, or none: nothing is stored when any job is invalid or too large, or when Redis refuses any of them (maxmemory reached, connection lost); the jobs are written in one transaction.',
        parameters: [idempotencyParameter],
        requestBody: {
          required: true,
          ...json(
            jsonSchema(
              z.strictObject({ jobs: z.array(request).min(1).max(MAX_BULK_JOBS) }),
              'input',
            ),
          ),
        },
        responses: {
          202: { description: 'All stored', ...json(ref('BulkEnqueueResult')) },
          ...pick(400, 401, 413, 415, 429, 503),
        },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the routes validate
 * with and the queue catalog's payload schemas, so it cannot drift from what the API accepts.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const secured = [{ bearer: [] }];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor producer API',
      version: '1.0.0',
      description:
        'Enqueue background jobs, read their state, replay dead letters, and receive Slack deliveries.',
    },
    security: secured,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A secret from API_TOKENS' },
      },
      schemas: {
        Error: jsonSchema(errorResponseSchema, 'output'),
        EnqueueResult: jsonSchema(enqueueResponseSchema, 'output'),
        BulkEnqueueResult: jsonSchema(bulkEnqueueResponseSchema, 'output'),
        Job: jsonSchema(jobResponseSchema, 'output'),
        Queues: jsonSchema(queuesResponseSchema, 'output'),
        DeadLetterPage: jsonSchema(deadLetterListResponseSchema, 'output'),
        Replayed: jsonSchema(replayResponseSchema, 'output'),
        Cancelled: jsonSchema(cancelResponseSchema, 'output'),
      },
    },
    paths: {
      ...Object.assign({}, ...QUEUE_NAMES.map(enqueuePaths)),
      '/v1/queues': {
        get: {
          summary: 'Every queue with its job counts by state and its dead-letter count',
          responses: {
            200: { description: 'Queues', ...json(ref('Queues')) },
            ...pick(401, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/jobs/{id}': {
        get: {
          summary: "A job's state, data, progress, attempts, result and timestamps",
          parameters: [queueParameter, idParameter('Job id')],
          responses: {
            200: { description: 'The job', ...json(ref('Job')) },
            ...pick(401, 404, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/jobs/{id}/cancel': {
        post: {
          summary: 'Cancel a job: removed if it has not started, its handler signalled if it runs',
          description:
            "A waiting, delayed or prioritized job is removed and never runs; it reads `cancelled` for the failed-job retention (24 h). A running job has its handler's AbortSignal fired in whichever worker process runs it and ends `cancelled`: not retried, not a dead letter, its result discarded even if the handler ignores the signal.",
          parameters: [queueParameter, idParameter('Job id')],
          responses: {
            202: { description: 'Cancelled, or being cancelled', ...json(ref('Cancelled')) },
            ...pick(401, 404, 409, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/dead-letters': {
        get: {
          summary: 'Dead letters, newest first, paged',
          parameters: [
            queueParameter,
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
          ],
          responses: {
            200: { description: 'One page', ...json(ref('DeadLetterPage')) },
            ...pick(400, 401, 404, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/dead-letters/{id}/replay': {
        post: {
          summary: 'Put a dead letter back on its queue as a new job',
          parameters: [queueParameter, idParameter('Dead letter id')],
          responses: {
            202: { description: 'Replayed', ...json(ref('Replayed')) },
            ...pick(401, 404, 429, 503),
          },
        },
      },
      '/slack/events': slackPath('Slack Events API request URL (JSON, signed)'),
      '/slack/commands': slackPath(
        'Slack slash command request URL (form-encoded, signed)',
        "Slack's unsigned certificate check (`ssl_check=1`) is answered 200 and stores nothing.",
      ),
      '/slack/interactions': slackPath(
        'Slack interactivity request URL (form-encoded, signed)',
        '`block_suggestion` and `dialog_suggestion` are answered at once with `{ options }` from the API options registry (empty when none is registered), and not stored.',
      ),
      '/healthz': {
        get: { security: [], summary: 'Liveness', responses: { 200: { description: 'Running' } } },
      },
      '/readyz': {
        get: {
          security: [],
          summary: 'Readiness: Redis reachable with maxmemory-policy noeviction',
          responses: {
            200: { description: 'Ready' },
            503: { description: 'Not ready, with the reasons' },
          },
        },
      },
      '/metrics': {
        get: {
          security: [],
          summary: 'Prometheus metrics',
          responses: { 200: { description: 'Text format' } },
        },
      },
    },
  };
}

function slackPath(summary: string, description?: string) {
  return {
    post: {
      security: [],
      tags: ['slack'],
      summary,
      ...(description ? { description } : {}),
      parameters: [
        {
          name: 'X-Slack-Request-Timestamp',
          in: 'header',
          required: true,
          schema: { type: 'string' },
        },
        { name: 'X-Slack-Signature', in: 'header', required: true, schema: { type: 'string' } },
      ],
      responses: {
        200: {
          description:
            'Stored (or a repeat of a stored event_id or trigger_id), acknowledged; options requests: `{ options }`',
        },
        400: ERRORS[400],
        401: errorAnswer(
          'Signature or timestamp did not verify (headers are checked before the body is read)',
        ),
        413: errorAnswer('Body larger than SLACK_MAX_BODY_BYTES, or job data than MAX_JOB_BYTES'),
        415: ERRORS[415],
        503: errorAnswer('Redis unavailable (Slack retries) or SLACK_SIGNING_SECRET unset'),
      },
    },
  };
}

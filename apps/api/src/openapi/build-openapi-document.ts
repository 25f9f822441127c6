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
  queueBacklogResponseSchema,
  queuesResponseSchema,
  replayResponseSchema,
  tenantListResponseSchema,
} from '../http/http-schemas.js';
import { lifecyclePaths, lifecycleSchemas } from './lifecycle-paths.js';
import { searchPaths, searchSchemas } from './search-paths.js';
import { slackOAuthPaths } from './slack-oauth-paths.js';

type JsonSchema = Record<string, unknown>;

/** One documented answer of an operation. */
interface OpenApiResponse {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
}

/**
 * One documented operation. `operationId` is required: it names the operation in generated
 * clients, and Redocly's recommended rules (checked in `build-openapi-document.test.ts`) refuse
 * an operation without one, or two with the same.
 */
interface OpenApiOperation {
  /** Unique over the document, camelCase (`enqueueIngestionJob`). */
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** `[]` for an open route; the document's bearer security otherwise. */
  security?: never[];
  parameters?: JsonSchema[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  /** At least one 2xx and one 4xx answer (Redocly's `operation-2xx-response`, `-4xx-`). */
  responses: Record<string, OpenApiResponse>;
}

/** The operations of one path, by HTTP method. */
type OpenApiPathItem = Partial<
  Record<'get' | 'post' | 'put' | 'patch' | 'delete', OpenApiOperation>
>;

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
const errorAnswer = (description: string): OpenApiResponse => ({
  description,
  ...json(ref('Error')),
});
/** `camelCase` of a kebab-case name: `slack-events` -> `SlackEvents`. */
const pascal = (name: string) =>
  name.replace(/(^|-)([a-z0-9])/g, (_match, _dash, letter: string) => letter.toUpperCase());

const ERRORS = {
  400: errorAnswer('Invalid JSON, payload, query or header; details.issues names each path'),
  401: errorAnswer('Missing or invalid bearer token'),
  403: errorAnswer(
    "FORBIDDEN: the client's scopes (API_CLIENT_SCOPES) do not cover this action on this queue (a client with tenant scopes may not stream a whole queue). TENANT_NOT_ALLOWED: the job or dead letter is for a tenant outside its tenant scopes",
  ),
  404: errorAnswer(
    "Unknown queue, job or schedule; a job of a tenant outside the client's tenant scopes reads as unknown",
  ),
  409: errorAnswer(
    'IDEMPOTENCY_KEY_REUSED: the key was used by this client for a different request. JOB_FINISHED: the job already ended; details.state says how',
  ),
  413: errorAnswer('Job data larger than MAX_JOB_BYTES, or body too large'),
  415: errorAnswer('Body is not application/json'),
  429: errorAnswer(
    'Rate limit or quota reached, or too many failed authentications from this address; see Retry-After',
  ),
  503: errorAnswer(
    'See Retry-After. REDIS_UNAVAILABLE: nothing was stored. SUBSCRIBER_LIMIT: too many waits or event streams open. REPLICA_ACK_TIMEOUT: fewer replicas than REDIS_MIN_REPLICAS_ACK confirmed in time; the job may be stored, retry with the same Idempotency-Key',
  ),
} satisfies Record<number, OpenApiResponse>;
const pick = (...codes: (keyof typeof ERRORS)[]): Record<string, OpenApiResponse> =>
  Object.fromEntries(codes.map((code) => [String(code), ERRORS[code]]));

/**
 * The one 4xx an open operation without input can meet: Node's HTTP server refuses oversized
 * request headers before any route runs, with an empty body.
 */
const HEADERS_TOO_LARGE: Record<string, OpenApiResponse> = {
  431: { description: 'Request headers larger than the server accepts (empty body)' },
};

/** `{ status, problems }`, the readiness answer of every Conveyor process. */
const READINESS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['status', 'problems'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not-ready', 'shutting-down'] },
    problems: { type: 'array', items: { type: 'string' }, description: 'Short reasons' },
  },
};

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
  description:
    "The same key from the same client within 24 hours returns the first job instead of adding another; another client's keys are separate; the same key with a different request answers 409",
  schema: jsonSchema(idempotencyKeySchema, 'input'),
};

function enqueuePaths(queue: QueueName): Record<string, OpenApiPathItem> {
  const request = enqueueRequestSchema.extend({ data: payloadSchema(queue) });
  const tag = [queue];
  return {
    [`/v1/queues/${queue}/jobs`]: {
      post: {
        operationId: `enqueue${pascal(queue)}Job`,
        tags: tag,
        summary: `Enqueue one ${queue} job`,
        parameters: [idempotencyParameter],
        requestBody: { required: true, ...json(jsonSchema(request, 'input')) },
        responses: {
          202: {
            description: 'Stored (or found by its idempotency key)',
            ...json(ref('EnqueueResult')),
          },
          ...pick(400, 401, 403, 409, 413, 415, 429, 503),
        },
      },
    },
    [`/v1/queues/${queue}/jobs/bulk`]: {
      post: {
        operationId: `enqueue${pascal(queue)}Jobs`,
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
          ...pick(400, 401, 403, 409, 413, 415, 429, 503),
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
  const parts = { jsonSchema, json, ref, errors: ERRORS, queueParameter, idParameter };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor producer API',
      version: '1.0.0',
      description:
        'Enqueue background jobs, wait for or stream their results, schedule them, replay dead letters, and receive Slack deliveries.',
      // Every package is private and the repository grants no licence: all rights reserved,
      // said with SPDX's own form for a licence outside its list.
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative: the document describes the API that serves it, wherever it is deployed.
    servers: [{ url: '/', description: 'The API serving this document' }],
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
        QueueBacklog: jsonSchema(queueBacklogResponseSchema, 'output'),
        TenantPage: jsonSchema(tenantListResponseSchema, 'output'),
        DeadLetterPage: jsonSchema(deadLetterListResponseSchema, 'output'),
        Replayed: jsonSchema(replayResponseSchema, 'output'),
        ...lifecycleSchemas(parts),
        ...searchSchemas(parts),
        Cancelled: jsonSchema(cancelResponseSchema, 'output'),
      },
    },
    paths: {
      ...QUEUE_NAMES.reduce((paths, queue) => Object.assign(paths, enqueuePaths(queue)), {}),
      '/v1/queues': {
        get: {
          operationId: 'listQueues',
          summary:
            'Every queue the client may read (all without scopes) with its job counts by state and its dead-letter count',
          responses: {
            200: { description: 'Queues', ...json(ref('Queues')) },
            ...pick(401, 429, 503),
          },
        },
      },
      ...lifecyclePaths(parts),
      ...searchPaths(parts),
      '/v1/queues/{queue}/backlog': {
        get: {
          operationId: 'getQueueBacklog',
          summary:
            "The jobs a worker could start now and the oldest one's age, for autoscalers (KEDA metrics-api: valueLocation backlog); needs the read scope",
          parameters: [queueParameter],
          responses: {
            200: { description: 'The backlog', ...json(ref('QueueBacklog')) },
            ...pick(401, 403, 404, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/tenants': {
        get: {
          operationId: 'listTenants',
          summary:
            'Tenants with jobs waiting or running, largest backlog first, paged; needs the read scope',
          description:
            'Workers take jobs round-robin across tenants. `waiting` counts the turns a tenant holds past the head of the queue and its jobs parked at its concurrency cap; delayed jobs not due are not counted.',
          parameters: [
            queueParameter,
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: 'cursor',
              in: 'query',
              description: '`next` of the previous page',
              schema: { type: 'string' },
            },
          ],
          responses: {
            200: { description: 'One page', ...json(ref('TenantPage')) },
            ...pick(400, 401, 403, 404, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/jobs/{id}/cancel': {
        post: {
          operationId: 'cancelJob',
          summary: 'Cancel a job: removed if it has not started, its handler signalled if it runs',
          description:
            "A waiting, delayed or prioritized job is removed and never runs; it reads `cancelled` for the failed-job retention (24 h). A running job has its handler's AbortSignal fired in whichever worker process runs it and ends `cancelled`: not retried, not a dead letter, its result discarded even if the handler ignores the signal.",
          parameters: [queueParameter, idParameter('Job id')],
          responses: {
            202: { description: 'Cancelled, or being cancelled', ...json(ref('Cancelled')) },
            ...pick(401, 403, 404, 409, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/dead-letters': {
        get: {
          operationId: 'listDeadLetters',
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
            ...pick(400, 401, 403, 404, 429, 503),
          },
        },
      },
      '/v1/queues/{queue}/dead-letters/{id}/replay': {
        post: {
          operationId: 'replayDeadLetter',
          summary: 'Put a dead letter back on its queue as a new job',
          parameters: [queueParameter, idParameter('Dead letter id')],
          responses: {
            202: { description: 'Replayed', ...json(ref('Replayed')) },
            ...pick(401, 403, 404, 429, 503),
          },
        },
      },
      '/slack/events': slackPath({
        operationId: 'receiveSlackEvent',
        summary: 'Slack Events API request URL (JSON, signed)',
        answer: {
          description:
            'Stored (or a repeat of a stored event_id), a URL verification answered with its challenge, or a rate-limit notice acknowledged',
          ...json({
            oneOf: [
              {
                type: 'object',
                required: ['ok', 'id', 'deduplicated'],
                properties: {
                  ok: { const: true },
                  id: { type: 'string', description: 'The job id' },
                  deduplicated: { type: 'boolean' },
                },
              },
              {
                type: 'object',
                required: ['challenge'],
                properties: { challenge: { type: 'string' } },
              },
              {
                type: 'object',
                required: ['ok'],
                properties: { ok: { const: true } },
                additionalProperties: false,
              },
            ],
          }),
        },
      }),
      '/slack/commands': slackPath({
        operationId: 'receiveSlackCommand',
        summary: 'Slack slash command request URL (form-encoded, signed)',
        description:
          "Slack's unsigned certificate check (`ssl_check=1`) is answered 200 and stores nothing.",
        answer: {
          description:
            'Stored (or a repeat of a stored trigger_id), acknowledged with an empty body',
        },
      }),
      '/slack/interactions': slackPath({
        operationId: 'receiveSlackInteraction',
        summary: 'Slack interactivity request URL (form-encoded, signed)',
        description:
          '`block_suggestion` and `dialog_suggestion` are answered at once with `{ options }` from the API options registry (empty when none is registered), and not stored.',
        answer: {
          description:
            'Stored (or a repeat of a stored trigger_id), acknowledged with an empty body; options requests: `{ options }` or `{ option_groups }`',
          ...json({
            oneOf: [
              {
                type: 'object',
                required: ['options'],
                properties: { options: { type: 'array', items: { type: 'object' } } },
              },
              {
                type: 'object',
                required: ['option_groups'],
                properties: { option_groups: { type: 'array', items: { type: 'object' } } },
              },
            ],
          }),
        },
      }),
      ...slackOAuthPaths(),
      '/healthz': {
        get: {
          operationId: 'getLiveness',
          security: [],
          summary: 'Liveness',
          responses: {
            200: {
              description: 'Running',
              ...json({
                type: 'object',
                required: ['status'],
                properties: { status: { const: 'ok' } },
              }),
            },
            ...HEADERS_TOO_LARGE,
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          security: [],
          summary: 'Readiness: Redis reachable with maxmemory-policy noeviction',
          responses: {
            200: { description: 'Ready', ...json(READINESS_SCHEMA) },
            ...HEADERS_TOO_LARGE,
            503: { description: 'Not ready, with the reasons', ...json(READINESS_SCHEMA) },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          security: [],
          summary: 'Prometheus metrics',
          responses: {
            200: {
              description: 'Prometheus text format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...HEADERS_TOO_LARGE,
          },
        },
      },
    } satisfies Record<string, OpenApiPathItem>,
  };
}

/** What differs between the three Slack receivers. */
interface SlackReceiver {
  operationId: string;
  summary: string;
  description?: string;
  /** The 200 answer. */
  answer: OpenApiResponse;
}

function slackPath({ answer, ...operation }: SlackReceiver): OpenApiPathItem {
  return {
    post: {
      ...operation,
      security: [],
      tags: ['slack'],
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
        200: answer,
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

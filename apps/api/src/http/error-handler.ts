import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CodedError, isCodedError } from '@conveyor/errors';
import {
  JobFinishedError,
  JobNotFoundError,
  PayloadTooLargeError,
  PayloadValidationError,
  QUEUE_NAMES,
  QuotaExceededError,
  RedisUnavailableError,
  ReplicaAckTimeoutError,
  TenantNotAllowedError,
  toRedisFailure,
  UnknownQueueError,
  UnknownSearchKeyError,
} from '@conveyor/queues';
import type { Logger } from '@conveyor/telemetry';
import type { ErrorRequestHandler } from 'express';
import { AuthThrottledError } from '../errors/auth-throttled-error.js';
import type { BodyTooLargeError } from '../errors/body-too-large-error.js';
import { ForbiddenError } from '../errors/forbidden-error.js';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { RateLimitedError } from '../errors/rate-limited-error.js';
import { ScheduleNotFoundError } from '../errors/schedule-not-found-error.js';
import { SlackSignatureInvalidError } from '../errors/slack-signature-invalid-error.js';
import { SubscriberLimitError } from '../errors/subscriber-limit-error.js';
import { sendJson } from './send-json.js';

/**
 * HTTP status of every error code the API answers with: the one place codes become statuses
 * (the packages' and the API's own {@link CodedError}s alike).
 */
export const STATUS_BY_CODE = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_PAYLOAD: 400,
  INVALID_REQUEST: 400,
  UNKNOWN_SEARCH_KEY: 400,
  INVALID_CURSOR: 400,
  REQUEST_ABORTED: 400,
  UNAUTHORIZED: 401,
  SLACK_SIGNATURE_INVALID: 401,
  FORBIDDEN: 403,
  TENANT_NOT_ALLOWED: 403,
  UNKNOWN_QUEUE: 404,
  JOB_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 409,
  JOB_FINISHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  AUTH_THROTTLED: 429,
  INTERNAL: 500,
  REDIS_UNAVAILABLE: 503,
  REPLICA_ACK_TIMEOUT: 503,
  SLACK_NOT_CONFIGURED: 503,
  SUBSCRIBER_LIMIT: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

/** The JSON every error answer carries. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Seconds a client over its quota should wait: room comes back as workers take its jobs. */
const QUOTA_RETRY_AFTER_SECONDS = 10;

/** Seconds a client should wait before retrying while Redis is unavailable. */
const REDIS_RETRY_AFTER_SECONDS = 1;

interface Answer {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
  /** An unexpected error: logged with its stack. */
  bug?: boolean;
}

const isKnownCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code);

function detailsOf(error: Error): unknown {
  if (error instanceof PayloadValidationError || error instanceof InvalidRequestError) {
    const invalidJobs = [
      ...new Set(
        error.issues.flatMap((issue) => {
          const index = /^jobs\.(\d+)(\.|$)/.exec(issue.path)?.[1];
          return index === undefined ? [] : [Number(index)];
        }),
      ),
    ];
    return invalidJobs.length > 0
      ? { issues: error.issues, invalidJobs }
      : { issues: error.issues };
  }
  if (error instanceof PayloadTooLargeError) {
    return error.index === undefined
      ? { limitBytes: error.limitBytes }
      : { limitBytes: error.limitBytes, index: error.index };
  }
  if (error instanceof UnknownQueueError) return { queue: error.queue, knownQueues: QUEUE_NAMES };
  if (error instanceof JobNotFoundError) return { queue: error.queue, id: error.id };
  if (error instanceof ForbiddenError) return { action: error.action, queue: error.queue };
  if (error instanceof TenantNotAllowedError) return { tenant: error.tenant, path: error.path };
  if (error instanceof JobFinishedError) {
    return { queue: error.queue, id: error.id, state: error.state };
  }
  if (error instanceof RateLimitedError) {
    return { limitPerMinute: error.limitPerMinute, retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof SlackSignatureInvalidError) return { reason: error.reason };
  if (error instanceof QuotaExceededError) {
    return { quota: error.quota, limit: error.limit, current: error.current };
  }
  if (error instanceof AuthThrottledError) return { retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof ReplicaAckTimeoutError) {
    return { requiredReplicas: error.required, acknowledgedReplicas: error.acknowledged };
  }
  if (error instanceof ScheduleNotFoundError) return { id: error.id };
  if (error instanceof SubscriberLimitError) return { kind: error.kind, limit: error.limit };
  if (error instanceof UnknownSearchKeyError) {
    return { key: error.key, validKeys: error.validKeys };
  }
  return undefined;
}

function headersOf(code: ErrorCode, error: Error): Record<string, string> | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return { 'www-authenticate': 'Bearer realm="conveyor"' };
    case 'RATE_LIMITED':
    case 'AUTH_THROTTLED':
      return {
        'retry-after': String((error as RateLimitedError | AuthThrottledError).retryAfterSeconds),
      };
    case 'REDIS_UNAVAILABLE':
    case 'REPLICA_ACK_TIMEOUT':
    case 'SUBSCRIBER_LIMIT':
      return { 'retry-after': String(REDIS_RETRY_AFTER_SECONDS) };
    case 'QUOTA_EXCEEDED':
      return { 'retry-after': String(QUOTA_RETRY_AFTER_SECONDS) };
    case 'BODY_TOO_LARGE':
      // A rest too large to read and drop is left unread: the connection cannot be reused.
      return (error as BodyTooLargeError).drained ? undefined : { connection: 'close' };
    default:
      return undefined;
  }
}

function answerFor(thrown: unknown): Answer {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  // Only errors without a code of ours are classified by message: a validation message quotes
  // client input, which could contain words like ECONNREFUSED.
  const failure = isCodedError(error) ? error : toRedisFailure(error);
  const classified = failure instanceof RedisUnavailableError ? failure : error;
  const code = isCodedError(classified) ? classified.code : undefined;
  if (isKnownCode(code)) {
    const details = detailsOf(classified);
    const headers = headersOf(code, classified);
    return {
      status: STATUS_BY_CODE[code],
      body: { error: { code, message: classified.message, ...(details ? { details } : {}) } },
      ...(headers ? { headers } : {}),
    };
  }
  // Errors raised by Express itself (a path segment that is not valid percent-encoding) carry
  // a 4xx status.
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const exposed = (error as { expose?: unknown }).expose === true;
    return {
      status,
      body: { error: { code: 'BAD_REQUEST', message: exposed ? error.message : 'Bad request' } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal error; it has been logged' } },
    bug: true,
  };
}

/**
 * The one place that turns errors into HTTP answers: maps each error `code` to its status and
 * the JSON shape `{ error: { code, message, details? } }`, adds `Retry-After` to 429 and 503,
 * and logs anything unexpected with its stack (answered 500, which no input should reach).
 * Used by the Express error middleware and by the enqueue fast path.
 */
export function writeError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  logger: Logger,
): void {
  const answer = answerFor(error);
  if (answer.bug) {
    const bug = error instanceof Error ? error : new Error(String(error));
    // pino-http logs the request line with this error attached.
    res.err = bug;
    if (!req.log) logger.error({ err: bug }, 'unexpected error');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (answer.headers) {
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  }
  sendJson(res, answer.status, answer.body);
}

/** The Express error middleware, registered last. */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => writeError(req, res, error, logger);
}

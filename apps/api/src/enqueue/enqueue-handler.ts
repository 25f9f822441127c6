import type { IncomingMessage, ServerResponse } from 'node:http';
import { QUEUE_NAMES } from '@conveyor/queues';
import { enqueueRequestSchema } from '../http/http-schemas.js';
import { catalogQueue } from '../http/queue-name-of.js';
import { readJsonBody } from '../http/read-json-body.js';
import { sendJson } from '../http/send-json.js';
import { validate } from '../http/validate.js';
import type { RouteContext } from '../routes/route-context.js';
import { assertDelayCap } from './assert-delay-cap.js';
import { enqueueOptionsOf } from './enqueue-options.js';

/** The enqueue route's template, as Express matches it and metrics label it. */
export const ENQUEUE_ROUTE = '/v1/queues/:queue/jobs';

/** Handles one enqueue once the guards passed; `queue` is the raw `:queue` path segment. */
export type EnqueueHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  queue: string,
) => Promise<void>;

/**
 * `POST /v1/queues/:queue/jobs`: checks the queue, reads and parses the body once, validates the
 * envelope, and stores the job through the shared Producer (one Redis round trip without an
 * `Idempotency-Key`). Answers 202 `{ id, queue, name, deduplicated }`.
 */
export function createEnqueueHandler(ctx: RouteContext): EnqueueHandler {
  const enqueuedBy = new Map(QUEUE_NAMES.map((name) => [name, ctx.enqueued.labels(name)]));
  return async (req, res, queueParam) => {
    const queue = catalogQueue(queueParam);
    ctx.access.assert(res, 'enqueue', queue);
    const body = await readJsonBody(req, ctx.limits.singleBodyBytes);
    const request = validate(enqueueRequestSchema, body);
    assertDelayCap([request], ctx.config.api.maxDelayMs, () => 'options.delay');
    const result = await ctx.producer.enqueue(queue, request, enqueueOptionsOf(req, res, ctx));
    if (!result.deduplicated) enqueuedBy.get(queue)?.inc();
    sendJson(res, 202, result);
  };
}

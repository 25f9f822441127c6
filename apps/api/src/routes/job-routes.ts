import {
  isFinalJobState,
  JobNotFoundError,
  type JobRequest,
  type PayloadIssue,
  PayloadValidationError,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  type QueueName,
  readJobEndings,
  toPayloadIssues,
} from '@conveyor/queues';
import type { Express } from 'express';
import { sendJson } from '../http/send-json.js';
import { bulkEnvelopeSchema, enqueueRequestSchema } from '../http-schemas.js';
import { findJob } from '../redis/find-job.js';
import { readFromRedis } from '../redis/read-from-redis.js';
import { ENQUEUE_ROUTE, type EnqueueHandler } from './enqueue-handler.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { queueNameOf } from './queue-name-of.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteContext } from './route-context.js';
import { validate } from './validate.js';

const iso = (epochMs: number | undefined) => (epochMs ? new Date(epochMs).toISOString() : null);

/**
 * Checks every job of a bulk request, envelope and payload, so the answer names every invalid
 * job at once. Returns the requests when all are valid.
 */
function validateBulk(queue: QueueName, body: unknown): JobRequest[] {
  const { jobs } = validate(bulkEnvelopeSchema, body);
  const issues: PayloadIssue[] = [];
  const requests: JobRequest[] = [];
  jobs.forEach((job, index) => {
    const parsed = enqueueRequestSchema.safeParse(job);
    if (!parsed.success) {
      issues.push(...toPayloadIssues(parsed.error, `jobs.${index}`));
      return;
    }
    requests.push(parsed.data);
  });
  if (issues.length === 0) return requests;
  // The Producer checks payloads only when every envelope is valid; check them here so the
  // answer is complete.
  jobs.forEach((job, index) => {
    const parsed = enqueueRequestSchema.safeParse(job);
    if (!parsed.success) return;
    const checked = QUEUE_CATALOG[queue].parseJob(parsed.data.name, parsed.data.data);
    if (!checked.ok) {
      issues.push(
        ...checked.issues.map((issue) => ({ ...issue, path: `jobs.${index}.${issue.path}` })),
      );
    }
  });
  issues.sort((a, b) => jobIndex(a.path) - jobIndex(b.path));
  throw new PayloadValidationError(issues);
}

const jobIndex = (path: string) => Number(/^jobs\.(\d+)/.exec(path)?.[1] ?? -1);

/** `POST /v1/queues/:queue/jobs`, `POST .../jobs/bulk`, `GET .../jobs/:id`. */
export function registerJobRoutes(app: Express, ctx: RouteContext, enqueue: EnqueueHandler): void {
  const { producer, guard, enqueued, limits } = ctx;
  const enqueuedBy = new Map(QUEUE_NAMES.map((name) => [name, enqueued.labels(name)]));

  app.post(ENQUEUE_ROUTE, guard, (req, res) => enqueue(req, res, String(req.params.queue)));

  app.post('/v1/queues/:queue/jobs/bulk', guard, async (req, res) => {
    const queue = queueNameOf(req);
    const body = await readJsonBody(req, limits.bulkBodyBytes);
    const requests = validateBulk(queue, body);
    const idempotencyKey = idempotencyKeyOf(req);
    const results = await producer.enqueueBulk(
      queue,
      requests,
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
    const stored = results.filter((result) => !result.deduplicated).length;
    if (stored > 0) enqueuedBy.get(queue)?.inc(stored);
    sendJson(res, 202, {
      jobs: results.map((result) => ({ id: result.id, deduplicated: result.deduplicated })),
    });
  });

  app.get('/v1/queues/:queue/jobs/:id', guard, async (req, res) => {
    const queueName = queueNameOf(req);
    const id = String(req.params.id);
    const queue = producer.queue(queueName);
    const endingOf = async () =>
      (
        await readFromRedis(ctx.redisTimeoutMs, () =>
          readJobEndings(ctx.producerConnection, queue, [id]),
        )
      ).get(id);
    let job = await findJob(queue, id, ctx.redisTimeoutMs);
    if (job === undefined) {
      // Cancelled before it ran: only its ending record is left.
      const ending = await endingOf();
      if (ending === undefined) throw new JobNotFoundError(queueName, id);
      sendJson(res, 200, {
        id,
        queue: queueName,
        name: ending.name,
        state: ending.state,
        data: null,
        progress: 0,
        attemptsMade: 0,
        returnValue: null,
        failedReason: ending.state,
        createdAt: iso(ending.createdAt ?? ending.at),
        processedAt: null,
        finishedAt: iso(ending.at),
      });
      return;
    }
    const read = job;
    let state: string = await readFromRedis(ctx.redisTimeoutMs, () => read.getState());
    // A cancelled or expired job ends in BullMQ's failed set; its ending record tells them apart.
    if (state === 'failed') state = (await endingOf())?.state ?? state;
    // A job that finished between the two reads would show "completed" without its result.
    if (isFinalJobState(state) && !job.finishedOn) {
      job = (await findJob(queue, id, ctx.redisTimeoutMs)) ?? job;
    }
    sendJson(res, 200, {
      id: String(job.id),
      queue: queueName,
      name: job.name,
      state,
      data: job.data,
      progress: job.progress,
      attemptsMade: job.attemptsMade,
      returnValue: job.returnvalue ?? null,
      failedReason: job.failedReason || null,
      createdAt: iso(job.timestamp),
      processedAt: iso(job.processedOn),
      finishedAt: iso(job.finishedOn),
    });
  });
}

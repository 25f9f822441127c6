import {
  type JobRequest,
  type PayloadIssue,
  PayloadValidationError,
  QUEUE_CATALOG,
  QUEUE_NAMES,
  type QueueName,
  toPayloadIssues,
} from '@conveyor/queues';
import type { Express } from 'express';
import { assertDelayCap } from '../enqueue/assert-delay-cap.js';
import { ENQUEUE_ROUTE, type EnqueueHandler } from '../enqueue/enqueue-handler.js';
import { enqueueOptionsOf } from '../enqueue/enqueue-options.js';
import {
  bulkEnvelopeSchema,
  enqueueRequestSchema,
  jobStatusQuerySchema,
} from '../http/http-schemas.js';
import { parseQuery } from '../http/parse-query.js';
import { queueNameOf } from '../http/queue-name-of.js';
import { readJsonBody } from '../http/read-json-body.js';
import { sendJson } from '../http/send-json.js';
import { validate } from '../http/validate.js';
import { readJobStatus } from '../jobs/read-job-status.js';
import { FinalEventWatch } from '../lifecycle/final-event-watch.js';
import { isFinalState } from '../lifecycle/job-event.js';
import { statusAfterFinalEvent } from '../lifecycle/status-after-final-event.js';
import type { RouteContext } from './route-context.js';

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

/** `POST /v1/queues/:queue/jobs`, `POST .../jobs/bulk`, `GET .../jobs/:id[?waitMs=]`. */
export function registerJobRoutes(app: Express, ctx: RouteContext, enqueue: EnqueueHandler): void {
  const { producer, guard, enqueued, limits, access } = ctx;
  const enqueuedBy = new Map(QUEUE_NAMES.map((name) => [name, enqueued.labels(name)]));

  app.post(ENQUEUE_ROUTE, guard, (req, res) => enqueue(req, res, String(req.params.queue)));

  app.post('/v1/queues/:queue/jobs/bulk', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'enqueue', queue);
    const body = await readJsonBody(req, limits.bulkBodyBytes);
    const requests = validateBulk(queue, body);
    assertDelayCap(requests, ctx.config.api.maxDelayMs, (index) => `jobs.${index}.options.delay`);
    // The request itself counted one job in the rate limit; a bulk counts all of its jobs.
    ctx.chargeJobs(res, requests.length - 1);
    const results = await producer.enqueueBulk(queue, requests, enqueueOptionsOf(req, res, ctx));
    const stored = results.filter((result) => !result.deduplicated).length;
    if (stored > 0) enqueuedBy.get(queue)?.inc(stored);
    sendJson(res, 202, {
      jobs: results.map((result) => ({ id: result.id, deduplicated: result.deduplicated })),
    });
  });

  app.get('/v1/queues/:queue/jobs/:id', guard, async (req, res) => {
    const queue = queueNameOf(req);
    access.assert(res, 'read', queue);
    const id = String(req.params.id);
    const { waitMs } = parseQuery(jobStatusQuerySchema, req.query);
    // Subscribed before the read: a job finishing in between is seen, not missed.
    const watch = waitMs > 0 ? await FinalEventWatch.start(ctx.events, queue, id) : undefined;
    try {
      let status = await readJobStatus(
        producer,
        ctx.producerConnection,
        queue,
        id,
        ctx.redisTimeoutMs,
      );
      // A job of another tenant is answered as absent, before any wait.
      access.assertJobVisible(res, queue, id, status.tenant);
      if (watch !== undefined && !isFinalState(status.state)) {
        const left = new AbortController();
        res.once('close', () => left.abort());
        await watch.until(waitMs, left.signal);
        if (left.signal.aborted) return;
        const reread = readJobStatus(
          producer,
          ctx.producerConnection,
          queue,
          id,
          ctx.redisTimeoutMs,
        );
        const final = watch.final;
        // Its end seen, the job is answered even when the read fails or finds it removed.
        status =
          final === undefined
            ? await reread
            : statusAfterFinalEvent(status, await reread.catch(() => undefined), final);
      }
      sendJson(res, 200, status);
    } finally {
      watch?.stop();
    }
  });
}

import type { Express } from 'express';
import { queueNameOf } from '../http/queue-name-of.js';
import { SseStream } from '../http/sse-stream.js';
import { readJobStatus } from '../jobs/read-job-status.js';
import { isFinalEvent, type JobEvent } from '../lifecycle/job-event.js';
import { finalEventOf } from '../lifecycle/to-job-event.js';
import type { RouteContext } from './route-context.js';

/**
 * The `id` of a job stream's final event. An EventSource reconnects after the stream ends,
 * sending it as `Last-Event-ID`; that reconnection is answered 204, which stops the EventSource.
 */
export const FINAL_EVENT_ID = 'final';

/** Events of a job that arrive while its state is read; more are dropped (progress is lossy). */
const MAX_PENDING_EVENTS = 100;

function send(stream: SseStream, event: JobEvent, id?: string): boolean {
  const { type, ...data } = event;
  return stream.send(type, data, id);
}

/** `GET /v1/queues/:queue/jobs/:id/events`, `GET /v1/queues/:queue/events` (server-sent events). */
export function registerEventStreamRoutes(app: Express, ctx: RouteContext): void {
  const { guard, events, producer, redisTimeoutMs } = ctx;

  app.get('/v1/queues/:queue/jobs/:id/events', guard, async (req, res) => {
    const queue = queueNameOf(req);
    ctx.access.assert(res, 'read', queue);
    const id = String(req.params.id);
    let stream: SseStream | undefined;
    const pending: JobEvent[] = [];
    let hubClosed = false;
    const forward = (event: JobEvent) => {
      if (stream === undefined) {
        if (pending.length < MAX_PENDING_EVENTS || isFinalEvent(event)) pending.push(event);
        return;
      }
      const final = isFinalEvent(event);
      send(stream, event, final ? FINAL_EVENT_ID : undefined);
      if (final) stream.end();
    };
    // Subscribed before the read: an event in between is held, not missed.
    const unsubscribe = await events.subscribeJob(queue, id, 'stream', {
      event: forward,
      close: () => {
        hubClosed = true;
        stream?.end();
      },
    });
    let final: JobEvent | undefined;
    try {
      const status = await readJobStatus(
        producer,
        ctx.producerConnection,
        queue,
        id,
        redisTimeoutMs,
      );
      // A job of another tenant is answered as absent; events held meanwhile are dropped.
      ctx.access.assertJobVisible(res, queue, id, status.tenant);
      final = finalEventOf(status);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    if (final !== undefined && req.get('last-event-id') === FINAL_EVENT_ID) {
      unsubscribe();
      res.status(204).end();
      return;
    }
    const opened = new SseStream(res, ctx.streams);
    opened.open(unsubscribe);
    stream = opened;
    if (final !== undefined) {
      send(opened, final, FINAL_EVENT_ID);
      opened.end();
      return;
    }
    for (const event of pending.splice(0)) forward(event);
    if (hubClosed) opened.end();
  });

  app.get('/v1/queues/:queue/events', guard, async (req, res) => {
    const queue = queueNameOf(req);
    ctx.access.assert(res, 'read', queue);
    // Its events do not carry the tenant: a tenant-scoped client would see every tenant's jobs.
    ctx.access.assertWholeQueue(res, queue);
    let stream: SseStream | undefined;
    let hubClosed = false;
    const unsubscribe = await events.subscribeQueue(queue, {
      event: (event) => {
        if (stream !== undefined) send(stream, event);
      },
      close: () => {
        hubClosed = true;
        stream?.end();
      },
    });
    stream = new SseStream(res, ctx.streams);
    stream.open(unsubscribe);
    if (hubClosed) stream.end();
  });
}

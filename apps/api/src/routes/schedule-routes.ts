import type { QueueName } from '@conveyor/queues';
import type { Express, Request, Response } from 'express';
import { clientOf } from '../auth/authenticated-client.js';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { ScheduleNotFoundError } from '../errors/schedule-not-found-error.js';
import { readJsonBody } from '../http/read-json-body.js';
import { sendJson } from '../http/send-json.js';
import { validate } from '../http/validate.js';
import {
  type ScheduleView,
  scheduleIdSchema,
  scheduleRequestSchema,
} from '../schedules/schedule-schemas.js';
import { Schedules } from '../schedules/schedules.js';
import type { RouteContext } from './route-context.js';

/** The `:id` path parameter as a schedule id. */
function scheduleIdOf(req: Request): string {
  const parsed = scheduleIdSchema.safeParse(String(req.params.id));
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError([{ path: 'id', message: parsed.error.issues[0]?.message ?? '' }]);
}

/**
 * `PUT|GET|DELETE /v1/schedules/:id`, `GET /v1/schedules`. Creating, replacing and deleting a
 * schedule needs the enqueue scope on its queue; reading it, the read scope. A client with tenant
 * scopes sees only its tenants' schedules: another tenant's reads as absent (404), as its jobs do.
 */
export function registerScheduleRoutes(app: Express, ctx: RouteContext): void {
  const { guard, limits, access } = ctx;
  const schedules = new Schedules(ctx.producer, ctx.config.api.maxJobBytes, ctx.redisTimeoutMs);

  app.put('/v1/schedules/:id', guard, async (req, res) => {
    const id = scheduleIdOf(req);
    const request = validate(
      scheduleRequestSchema,
      await readJsonBody(req, limits.singleBodyBytes),
    );
    access.assert(res, 'enqueue', request.queue);
    // Moving a schedule to another queue takes it off the first one too.
    const existing = await schedules.get(id);
    if (existing !== undefined) access.assert(res, 'enqueue', existing.queue as QueueName);
    const { created, schedule } = await schedules.upsert(id, request, access.tenantsOfRequest(res));
    sendJson(res, created ? 201 : 200, schedule);
  });

  /** The schedule with this id if the request's client may see it (its tenant), else 404. */
  const visible = async (res: Response, id: string): Promise<ScheduleView> => {
    const schedule = await schedules.get(id);
    const tenants = access.tenantsOfRequest(res);
    if (schedule === undefined || (tenants !== undefined && !tenants.has(schedule.tenant))) {
      throw new ScheduleNotFoundError(id);
    }
    return schedule;
  };

  app.get('/v1/schedules', guard, async (_req, res) => {
    const client = clientOf(res) as string;
    const tenants = access.tenantsOfRequest(res);
    const readable = (await schedules.list()).filter(
      (schedule) =>
        access.allows(client, 'read', schedule.queue as QueueName) &&
        (tenants === undefined || tenants.has(schedule.tenant)),
    );
    sendJson(res, 200, { schedules: readable });
  });

  app.get('/v1/schedules/:id', guard, async (req, res) => {
    const schedule = await visible(res, scheduleIdOf(req));
    access.assert(res, 'read', schedule.queue as QueueName);
    sendJson(res, 200, schedule);
  });

  app.delete('/v1/schedules/:id', guard, async (req, res) => {
    const id = scheduleIdOf(req);
    const schedule = await visible(res, id);
    access.assert(res, 'enqueue', schedule.queue as QueueName);
    if (!(await schedules.remove(id))) throw new ScheduleNotFoundError(id);
    res.status(204).end();
  });
}

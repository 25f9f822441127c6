import type { Express, Request } from 'express';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { ScheduleNotFoundError } from '../errors/schedule-not-found-error.js';
import { sendJson } from '../http/send-json.js';
import { scheduleIdSchema, scheduleRequestSchema } from '../schedules/schedule-schemas.js';
import { Schedules } from '../schedules/schedules.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteContext } from './route-context.js';
import { validate } from './validate.js';

/** The `:id` path parameter as a schedule id. */
function scheduleIdOf(req: Request): string {
  const parsed = scheduleIdSchema.safeParse(String(req.params.id));
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError([{ path: 'id', message: parsed.error.issues[0]?.message ?? '' }]);
}

/** `PUT|GET|DELETE /v1/schedules/:id`, `GET /v1/schedules`. */
export function registerScheduleRoutes(app: Express, ctx: RouteContext): void {
  const { guard, limits } = ctx;
  const schedules = new Schedules(ctx.producer, ctx.config.api.maxJobBytes, ctx.redisTimeoutMs);

  app.put('/v1/schedules/:id', guard, async (req, res) => {
    const id = scheduleIdOf(req);
    const request = validate(
      scheduleRequestSchema,
      await readJsonBody(req, limits.singleBodyBytes),
    );
    const { created, schedule } = await schedules.upsert(id, request);
    sendJson(res, created ? 201 : 200, schedule);
  });

  app.get('/v1/schedules', guard, async (_req, res) => {
    sendJson(res, 200, { schedules: await schedules.list() });
  });

  app.get('/v1/schedules/:id', guard, async (req, res) => {
    const id = scheduleIdOf(req);
    const schedule = await schedules.get(id);
    if (schedule === undefined) throw new ScheduleNotFoundError(id);
    sendJson(res, 200, schedule);
  });

  app.delete('/v1/schedules/:id', guard, async (req, res) => {
    const id = scheduleIdOf(req);
    if (!(await schedules.remove(id))) throw new ScheduleNotFoundError(id);
    res.status(204).end();
  });
}

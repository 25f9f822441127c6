import { QUEUE_NAMES } from '@conveyor/queues';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { enqueueRequestSchema, jobOptionsSchema } from '../http/http-schemas.js';

/** Longest interval of an `everyMs` schedule: a year. */
const MAX_EVERY_MS = 365 * 24 * 60 * 60 * 1000;
/** Shortest interval: each tick is a job stored in Redis and run by a worker. */
export const MIN_EVERY_MS = 1000;

/** A schedule id: `:` is left out, BullMQ names each tick's job `repeat:<id>:<time>`. */
export const scheduleIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'must be 1-100 of A-Z a-z 0-9 _ . -' });

/** True when the runtime knows the IANA time zone `tz`. */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why BullMQ's own cron parser refuses `cron`, or undefined when it parses. */
function cronProblem(cron: string, tz: string | undefined): string | undefined {
  try {
    CronExpressionParser.parse(cron, tz === undefined ? {} : { tz });
    return undefined;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

/** `PUT /v1/schedules/:id`. */
export const scheduleRequestSchema = z
  .strictObject({
    queue: z.enum(QUEUE_NAMES, { error: `must be one of ${QUEUE_NAMES.join(', ')}` }),
    name: enqueueRequestSchema.shape.name,
    data: enqueueRequestSchema.shape.data,
    options: z
      .strictObject({
        priority: jobOptionsSchema.shape.priority,
        tenant: jobOptionsSchema.shape.tenant,
      })
      .optional(),
    cron: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Cron pattern (5 fields, or 6 with seconds first); exactly one of cron, everyMs'),
    everyMs: z
      .number()
      .int()
      .min(MIN_EVERY_MS)
      .max(MAX_EVERY_MS)
      .optional()
      .describe('Interval in milliseconds; exactly one of cron, everyMs'),
    tz: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('IANA time zone of the cron pattern, e.g. Europe/Paris; UTC when omitted'),
    startAt: z.iso.datetime({ offset: true }).optional().describe('No job before this time'),
    endAt: z.iso.datetime({ offset: true }).optional().describe('No job after this time'),
    limit: z.number().int().min(1).max(1_000_000_000).optional().describe('Most jobs in all'),
  })
  .superRefine((request, ctx) => {
    if ((request.cron === undefined) === (request.everyMs === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [request.cron === undefined ? 'cron' : 'everyMs'],
        message: 'exactly one of cron and everyMs is required',
      });
    }
    const tzValid = request.tz === undefined || isTimeZone(request.tz);
    if (!tzValid) {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'is not an IANA time zone' });
    } else if (request.tz !== undefined && request.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'applies to cron only' });
    }
    if (request.cron !== undefined && tzValid) {
      const problem = cronProblem(request.cron, request.tz);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    }
    if (
      request.startAt &&
      request.endAt &&
      Date.parse(request.endAt) <= Date.parse(request.startAt)
    ) {
      ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'must be after startAt' });
    }
  });

export type ScheduleRequest = z.output<typeof scheduleRequestSchema>;

export const scheduleResponseSchema = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  data: z.unknown(),
  options: z.object({ priority: z.number().int().optional() }),
  tenant: z.string().describe('The tenant every job of the schedule belongs to'),
  cron: z.string().nullable(),
  everyMs: z.number().int().nullable(),
  tz: z.string().nullable(),
  startAt: z.iso.datetime().nullable(),
  endAt: z.iso.datetime().nullable(),
  limit: z.number().int().nullable(),
  iterations: z.number().int().describe('Jobs created so far'),
  nextRunAt: z.iso.datetime().nullable().describe('When the next job is due; null once over'),
});

export type ScheduleView = z.output<typeof scheduleResponseSchema>;

export const scheduleListResponseSchema = z.object({ schedules: z.array(scheduleResponseSchema) });

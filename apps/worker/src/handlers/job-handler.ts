import type { Job } from 'bullmq';
import type { z } from 'zod';
import { InvalidJobDataError } from '../errors/invalid-job-data-error.js';
import type { HandlerContext } from './handler-context.js';

/**
 * One kind of job's business logic. Throw `UnrecoverableError` (or a subclass) for failures a
 * retry cannot fix: the job goes straight to dead letters. Any other error spends an attempt and
 * is retried with the queue's backoff. Handlers must be idempotent: delivery is at least once.
 */
export interface JobHandler<Result = unknown> {
  handle(job: Job, context: HandlerContext): Promise<Result>;
  /**
   * The handler stops when `context.signal` aborts (a cancellation). Only then does a job get a
   * signal: making one cost a no-op job a twelfth of its CPU in `pnpm bench`.
   * @defaultValue false
   */
  cancellable?: boolean;
}

/** A handler whose data is validated by a zod schema first; invalid data is a permanent failure. */
export interface TypedHandlerSpec<Schema extends z.ZodType, Result> {
  schema: Schema;
  handle(data: z.output<Schema>, job: Job, context: HandlerContext): Promise<Result>;
  /** See {@link JobHandler.cancellable}. @defaultValue false */
  cancellable?: boolean;
}

/** Builds a {@link JobHandler} that parses `job.data` with `schema` before handling it. */
export function defineHandler<Schema extends z.ZodType, Result>(
  spec: TypedHandlerSpec<Schema, Result>,
): JobHandler<Result> {
  return {
    cancellable: spec.cancellable ?? false,
    async handle(job, context) {
      const parsed = spec.schema.safeParse(job.data);
      if (!parsed.success) {
        throw new InvalidJobDataError(
          context.queue,
          job.name,
          parsed.error.issues.map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`),
        );
      }
      return spec.handle(parsed.data, job, context);
    },
  };
}

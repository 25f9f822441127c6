import { SlackRateLimitedError } from '../../errors/slack-rate-limited-error.js';
import type { JobHandler } from '../../handlers/job-handler.js';

/**
 * Where a Slack 429 is handled. Every Slack call of the delivery layer turns a 429 (or a
 * `ratelimited` answer) into a {@link SlackRateLimitedError} carrying `Retry-After`; this
 * wrapper, around every built-in Slack handler, turns that into `context.limitTenant`: Slack's
 * limits are per workspace, so only the job's tenant (its workspace, or its organisation for an
 * org-wide install) pauses for `Retry-After`, in every worker process, and the job goes back to
 * the delayed set without spending an attempt; other workspaces keep flowing. The processor lets
 * BullMQ's DelayedError through as control flow, so a 429 is never counted as a failure.
 *
 * Not a wait inside the job: sleeping through a 429 would hold the job's lock and a concurrency
 * slot while every other job of the workspace ran into the same 429.
 */
export function pauseTenantOnRateLimit<Result>(handler: JobHandler<Result>): JobHandler<Result> {
  return {
    ...handler,
    async handle(job, context) {
      try {
        return await handler.handle(job, context);
      } catch (error) {
        if (error instanceof SlackRateLimitedError) {
          return context.limitTenant(error.retryAfterMs);
        }
        throw error;
      }
    },
  };
}

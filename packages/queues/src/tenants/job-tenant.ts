import type { Job, JobsOptions } from 'bullmq';

/** The tenant of a job that names none and whose queue derives none. */
export const DEFAULT_TENANT = 'default';

/** What a tenant may be: 1-128 of `A-Z a-z 0-9 . _ : -` (Slack ids, org ids, UUIDs). */
export const TENANT_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The message of a refused tenant, for the API's 400. */
export const TENANT_RULE = 'must be 1-128 of A-Z a-z 0-9 . _ : -';

/** True when `value` is a valid tenant. */
export function isTenant(value: unknown): value is string {
  return typeof value === 'string' && TENANT_PATTERN.test(value);
}

/**
 * The job option that carries the tenant: BullMQ keeps options it does not know with the job, so
 * the worker reads it from the job it fetched, at no extra cost.
 */
const TENANT_OPTION = 'tenant';

/** Records `tenant` on a job's options before it is stored. */
export function setTenant(opts: JobsOptions, tenant: string): void {
  (opts as Record<string, unknown>)[TENANT_OPTION] = tenant;
}

/** The tenant a stored job's options name, or undefined (stored without one). */
export function namedTenant(job: Pick<Job, 'opts'>): string | undefined {
  const value = (job.opts as Record<string, unknown> | undefined)?.[TENANT_OPTION];
  return isTenant(value) ? value : undefined;
}

/** The tenant of a stored job; {@link DEFAULT_TENANT} for a job stored before tenants existed. */
export function jobTenant(job: Pick<Job, 'opts'>): string {
  return namedTenant(job) ?? DEFAULT_TENANT;
}

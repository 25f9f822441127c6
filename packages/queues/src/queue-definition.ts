import type { DefaultJobOptions } from 'bullmq';
import type { z } from 'zod';
import type { PayloadIssue } from './errors/payload-validation-error.js';

/** The outcome of matching a job request against its queue's schemas. */
export type ParsedJob =
  | { ok: true; name: string; data: unknown; dedupeKey?: string }
  | { ok: false; issues: PayloadIssue[] };

/** Everything Conveyor knows about one queue; the catalog holds one per queue. */
export interface QueueDefinition {
  /** Queue name as BullMQ and the HTTP API see it. */
  name: string;
  /** One line for the dashboard and `GET /v1/queues`. */
  description: string;
  /** Job names and what each carries, for docs and the OpenAPI document. */
  jobs: Record<string, { description: string; schema: z.ZodType }>;
  /** Attempts, backoff and retention applied to every job of the queue. */
  defaultJobOptions: DefaultJobOptions;
  /**
   * How long a job may wait before it starts, per job name, when the request sets no
   * `expiresInMs`; a job not started by then is never run.
   * @defaultValue none: jobs wait as long as it takes
   */
  expiresInMs?: Readonly<Record<string, number>>;
  /**
   * Business keys a job can be found by (`searchJobs`, `GET /v1/search`), each read from the
   * job's validated data; undefined when the job does not carry it. Every queue is also
   * searchable by {@link COMMON_SEARCH_KEYS}, which are not listed here.
   */
  searchKeys: Readonly<Record<string, (data: unknown) => string | undefined>>;
  /**
   * The search key whose value is most jobs' tenant (the field {@link tenantOf} reads). A job
   * whose tenant equals its value there gets no `tenant` entry of its own: a search by tenant
   * reads this key's entries too and keeps the jobs of that tenant. One index entry fewer per
   * job, on the enqueue path.
   * @defaultValue none: every tenant has entries of its own
   */
  tenantSearchKey?: string;
  /**
   * The tenant of a job whose request names none, from its validated data; undefined falls back
   * to `default`. Jobs of one tenant share its fair turn, its concurrency cap and rate limit.
   * @defaultValue every job is `default`
   */
  tenantOf?(name: string, data: unknown): string | undefined;
  /** Picks the job name (when omitted) and validates the data. */
  parseJob(name: string | undefined, data: unknown): ParsedJob;
}

/** Converts zod issues to Conveyor's `{ path, message }` form under a base path. */
export function toPayloadIssues(error: z.ZodError, basePath: string): PayloadIssue[] {
  return error.issues.map((issue) => ({
    path: [basePath, ...issue.path.map(String)].filter((part) => part !== '').join('.'),
    message: issue.message,
  }));
}

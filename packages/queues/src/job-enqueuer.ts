import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import type { JobsOptions, Queue } from 'bullmq';
import { addBulkAtomically } from './add-bulk-atomically.js';
import type { ClientQuota, QuotaCharge, QuotaItem } from './client-quota.js';
import type { DedupeMarkers, IdempotencyScope, JobDedupe } from './dedupe-markers.js';
import { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
import { PayloadTooLargeError } from './errors/payload-too-large-error.js';
import { type PayloadIssue, PayloadValidationError } from './errors/payload-validation-error.js';
import type { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { TenantNotAllowedError } from './errors/tenant-not-allowed-error.js';
import { setExpiry } from './job-expiry.js';
import { type BuiltJob, JobStore, MAX_JOBS_PER_CALL } from './job-store.js';
import { payloadFingerprint } from './payload-fingerprint.js';
import { QUEUE_CATALOG, type QueueName } from './queue-catalog.js';
import type { QueueDefinition } from './queue-definition.js';
import type { SearchIndex } from './search/search-index.js';
import { extractSearchKeys, type SearchKeys } from './search/search-keys.js';
import { searchTtlMs } from './search/search-ttl.js';
import { applyTurns } from './tenants/apply-turns.js';
import type { TurnRequest } from './tenants/assign-turns.js';
import { setTenant } from './tenants/job-tenant.js';
import { resolveTenant } from './tenants/resolve-tenant.js';
import type { WriteGuard } from './write-guard.js';

/** One job to enqueue, as the HTTP API receives it. */
export interface JobRequest {
  /** Job name; the catalog derives it when omitted (Slack: the event type). */
  name?: string;
  data: unknown;
  options?: {
    /** Milliseconds to wait before the job may run. */
    delay?: number;
    /** 1 (highest) to 2,097,152; omitted means no priority (FIFO, fastest). */
    priority?: number;
    /** Milliseconds from now by which the job must start, or it never runs (`expired`). */
    expiresInMs?: number;
    /**
     * Who the job is for (1-128 of `A-Z a-z 0-9 . _ : -`): jobs are taken round-robin across
     * tenants. Omitted: derived by the catalog (Slack workspace, ingestion `orgId`), else
     * `default`.
     */
    tenant?: string;
  };
}

/** The answer for one enqueued (or deduplicated) job. */
export interface EnqueueResult {
  id: string;
  queue: QueueName;
  name: string;
  /** True when an earlier job with the same idempotency key or Slack `event_id` was returned. */
  deduplicated: boolean;
}

/** How an enqueue is deduplicated beyond the catalog's own keys (Slack `event_id`). */
export interface EnqueueOptions extends IdempotencyScope {
  /**
   * The request's `Idempotency-Key`: a repeat of the same request within the dedupe window
   * returns the first job; the same key with a different request throws
   * {@link IdempotencyKeyReusedError}.
   * @defaultValue none
   */
  idempotencyKey?: string;
  /**
   * Who sent the key (the API client's name): keys are scoped per client, so another client's
   * identical key stores its own job.
   * @defaultValue unscoped (one key space shared by every caller that passes no client)
   */
  client?: string;
  /**
   * Counts the jobs against a client's quota of jobs waiting and bytes stored, before storing
   * them; throws {@link QuotaExceededError} when they do not fit (nothing is stored).
   * @defaultValue not counted
   */
  quota?: QuotaCharge;
  /**
   * The tenants the caller acts for: a job for any other (named or derived) throws
   * {@link TenantNotAllowedError} and nothing of the request is stored.
   * @defaultValue every tenant
   */
  tenants?: ReadonlySet<string>;
}

/** Options for {@link JobEnqueuer}. */
export interface JobEnqueuerOptions {
  /** The producer's connection, for the script that gives each job its tenant's turn. */
  connection: RedisConnection;
  /** Largest job data, in bytes of JSON. */
  maxJobBytes: number;
  /** Dedupe markers and idempotency keys. */
  markers: DedupeMarkers;
  /** Client quotas of jobs waiting and bytes stored. */
  quotas: ClientQuota;
  /** Runs every store (fail fast, deadline, replica ack). */
  guard: WriteGuard;
  /** The search index, written with every add on the producer's connection. */
  search: SearchIndex;
}

/** A job validated and ready to store. */
interface PreparedJob {
  name: string;
  data: unknown;
  opts: JobsOptions;
  /** How the job is deduplicated, when it has a dedupe key. */
  dedupe?: JobDedupe;
  /** What the job is indexed under for search. */
  searchKeys: SearchKeys;
  /** Its tenant's place in the fair order; sets its BullMQ priority just before it is stored. */
  turn: TurnRequest;
  /** Its dedupe marker, when the store handles it (`JobToStore.marker`). @defaultValue none */
  marker?: string;
}

const catalogExpiry = (queue: QueueName, name: string): number | undefined =>
  (QUEUE_CATALOG[queue] as QueueDefinition).expiresInMs?.[name];

/**
 * Enqueues jobs, one or a bulk, onto a catalog queue.
 *
 * Responsibilities:
 * - validate and name jobs through the catalog, all jobs of a bulk before any is stored
 *   ({@link JobEnqueuer.prepare}: every per-job enqueue-time step runs there);
 * - enforce the per-job size limit;
 * - deduplicate through {@link DedupeMarkers} (idempotency keys per client, Slack `event_id`),
 *   a single job in one Redis round trip;
 * - count jobs against a client's quota and un-count those not stored;
 * - store through the {@link WriteGuard}: with the {@link JobStore} (turn, job and search entries
 *   in one script) when the jobs allow it, else a turns call and BullMQ's own scripts.
 */
export class JobEnqueuer {
  readonly #connection: RedisConnection;
  readonly #maxJobBytes: number;
  readonly #markers: DedupeMarkers;
  readonly #quotas: ClientQuota;
  readonly #guard: WriteGuard;
  readonly #search: SearchIndex;
  readonly #store: JobStore;

  constructor(options: JobEnqueuerOptions) {
    this.#connection = options.connection;
    this.#maxJobBytes = options.maxJobBytes;
    this.#markers = options.markers;
    this.#quotas = options.quotas;
    this.#guard = options.guard;
    this.#search = options.search;
    this.#store = new JobStore(options.connection, options.search);
  }

  /**
   * Validates and stores one job, in one Redis round trip also when it carries a dedupe key: the
   * store script re-arms and writes its marker, or (an idempotency key, or a job the store does
   * not take) the re-arm script and the `add` leave together and the marker is written behind
   * the answer.
   */
  async enqueue(
    queue: Queue,
    name: QueueName,
    request: JobRequest,
    options: EnqueueOptions,
  ): Promise<EnqueueResult> {
    const prepared = this.#prepare(queue, name, request, '', options);
    if (!prepared.ok) throw new PayloadValidationError(prepared.issues);
    const job = prepared.job;
    const { dedupe } = job;
    // Without an idempotency key's fingerprint to check first, the store re-arms BullMQ's key and
    // writes the marker in the job's own call: two commands per Slack event fewer.
    const marked = dedupe !== undefined && dedupe.fingerprintKey === undefined;
    const built = JobStore.accepts(job)
      ? this.#built(queue, [marked ? { ...job, marker: dedupe.markerKey } : job], false)[0]
      : undefined;
    return this.#guard.run(
      this.#charging(options.quota, name, [job], async () => {
        // Turn, job and search entries in one call, shared with the enqueues of this turn of the
        // event loop; otherwise a turns call, then BullMQ's add.
        const store = async () => {
          if (built) return this.#store.storeSoon(queue, name, built);
          return String((await this.#add(queue, name, job)).id);
        };
        if (!built) await applyTurns(this.#connection, queue, [job]);
        if (dedupe === undefined || (built && marked)) {
          const id = await store();
          return { id, queue: name, name: job.name, deduplicated: id !== job.opts.jobId };
        }
        // Sent first, on the same connection: the store sees the key it re-arms.
        const rearmed = this.#markers.rearm(queue, dedupe, () => payloadFingerprint(request));
        const [id, { remembered, conflict }] = await Promise.all([store(), rearmed]);
        const deduplicated = id !== job.opts.jobId;
        // BullMQ's key covers the window while the job exists; the marker carries it past retention.
        // Not awaited: the job is stored, and a marker lost with the connection costs at worst a
        // duplicate of a removed job, never a lost one. A deduplicated add with no marker heals it.
        if (remembered === null) this.#markers.remember(name, dedupe.markerKey, id);
        // The add deduplicated to the earlier job: nothing of this request was stored.
        if (conflict) throw new IdempotencyKeyReusedError();
        return { id, queue: name, name: job.name, deduplicated };
      }),
      // Stored with the other single jobs of this turn of the event loop: at most a full call.
      built ? this.#store.allowanceMs(MAX_JOBS_PER_CALL) : 0,
    );
  }

  /**
   * Validates every job, then stores them in one transaction ({@link addBulkAtomically}): nothing
   * is stored when any job is invalid or too large, or when Redis refuses any of them. An
   * `idempotencyKey` covers the whole request: a repeat returns the first request's ids, the same
   * key with different jobs throws {@link IdempotencyKeyReusedError}.
   */
  async enqueueBulk(
    queue: Queue,
    name: QueueName,
    requests: JobRequest[],
    options: EnqueueOptions,
  ): Promise<EnqueueResult[]> {
    const jobs: PreparedJob[] = [];
    const issues: PayloadIssue[] = [];
    // The request's idempotency key covers the bulk, not each job; it is indexed with each.
    const perJob: EnqueueOptions = {
      ...(options.quota ? { quota: options.quota } : {}),
      ...(options.tenants ? { tenants: options.tenants } : {}),
    };
    for (let index = 0; index < requests.length; index++) {
      const prepared = this.#prepare(
        queue,
        name,
        requests[index] as JobRequest,
        `jobs.${index}.`,
        perJob,
        options,
      );
      if (prepared.ok) jobs.push(prepared.job);
      else for (const issue of prepared.issues) issues.push(issue);
    }
    if (issues.length > 0) throw new PayloadValidationError(issues);
    const markers = this.#markers;
    const bulkKey = markers.bulkKey(queue, options);
    const fingerprint = bulkKey ? payloadFingerprint(requests) : '';
    const built = jobs.every((job) => JobStore.accepts(job))
      ? this.#built(queue, jobs, true)
      : undefined;

    return this.#guard.run(
      this.#charging(options.quota, name, jobs, async () => {
        if (bulkKey) {
          const ids = await markers.recallBulk(bulkKey, fingerprint);
          if (ids !== undefined) {
            return ids.map((id, index) => ({
              id,
              queue: name,
              name: jobs[index]?.name ?? '',
              deduplicated: true,
            }));
          }
        }
        const markerKeys: string[] = [];
        for (const job of jobs) if (job.dedupe) markerKeys.push(job.dedupe.markerKey);
        const rememberedByKey = await markers.recall(markerKeys);
        const remembered = (job: PreparedJob) =>
          job.dedupe ? rememberedByKey.get(job.dedupe.markerKey) : undefined;
        // Per-job arrays, closures and maps only for a bulk with remembered jobs: a bulk is
        // usually stored whole, and each allocation per job costs the API's CPU.
        const whole = markerKeys.length === 0 || jobs.every((job) => !remembered(job));
        let toAdd = jobs;
        let builtToAdd = built;
        if (!whole) {
          toAdd = [];
          builtToAdd = built && [];
          jobs.forEach((job, index) => {
            if (remembered(job)) return;
            toAdd.push(job);
            builtToAdd?.push(built?.[index] as BuiltJob);
          });
        }
        const addedIds: string[] =
          toAdd.length === 0
            ? []
            : builtToAdd
              ? // Turns, jobs and search entries in one call.
                (await this.#store.store(queue, name, builtToAdd)).map(String)
              : (await this.#addBulkWithinLimit(queue, jobs, toAdd)).map((added) =>
                  String(added?.id),
                );
        const addedById = whole
          ? undefined
          : new Map(toAdd.map((job, index) => [job, addedIds[index] as string]));

        const results = jobs.map((job, index): EnqueueResult => {
          const known = remembered(job);
          if (known) return { id: known, queue: name, name: job.name, deduplicated: true };
          const id = (addedById ? addedById.get(job) : addedIds[index]) ?? '';
          return {
            id,
            queue: name,
            name: job.name,
            deduplicated: job.opts.jobId !== undefined && id !== job.opts.jobId,
          };
        });
        if (markerKeys.length > 0 || bulkKey) {
          await markers.rememberBulk(
            toAdd.flatMap((job, index) =>
              job.dedupe ? [[job.dedupe.markerKey, addedIds[index] ?? ''] as const] : [],
            ),
            bulkKey ? { key: bulkKey, fingerprint, ids: results.map((r) => r.id) } : undefined,
          );
        }
        return results;
      }),
      built ? this.#store.allowanceMs(jobs.length) : 0,
    );
  }

  /**
   * Validates one job against the catalog and builds its BullMQ options. Every per-job step that
   * runs at enqueue time belongs here, so a single job and each job of a bulk get it alike.
   */
  #prepare(
    queue: Queue,
    queueName: QueueName,
    request: JobRequest,
    issuePrefix: string,
    options: EnqueueOptions,
    searchOptions: EnqueueOptions = options,
  ): { ok: true; job: PreparedJob } | { ok: false; issues: PayloadIssue[] } {
    const parsed = QUEUE_CATALOG[queueName].parseJob(request.name, request.data);
    if (!parsed.ok) {
      return {
        ok: false,
        issues: parsed.issues.map((issue) => ({ ...issue, path: `${issuePrefix}${issue.path}` })),
      };
    }
    const tenant = resolveTenant(
      QUEUE_CATALOG[queueName],
      parsed.name,
      parsed.data,
      request.options?.tenant,
    );
    if (!tenant.ok) {
      return {
        ok: false,
        issues: [{ ...tenant.issue, path: `${issuePrefix}${tenant.issue.path}` }],
      };
    }
    if (options.tenants && !options.tenants.has(tenant.tenant)) {
      throw new TenantNotAllowedError(tenant.tenant, `${issuePrefix}options.tenant`);
    }
    const opts: JobsOptions = { sizeLimit: this.#maxJobBytes };
    setTenant(opts, tenant.tenant);
    const turn: TurnRequest = { tenant: tenant.tenant };
    const requested = request.options;
    if (requested?.priority) turn.priority = requested.priority;
    if (requested?.delay) {
      opts.delay = requested.delay;
      turn.delayed = true;
    }
    const expiresInMs = request.options?.expiresInMs ?? catalogExpiry(queueName, parsed.name);
    if (expiresInMs !== undefined) setExpiry(opts, expiresInMs);
    const { idempotencyKey, client } = searchOptions;
    const searchKeys = extractSearchKeys(queueName, parsed.data, {
      tenant: tenant.tenant,
      idempotency: idempotencyKey === undefined ? undefined : { key: idempotencyKey, client },
    });
    // Known before the job is stored: a quota counts it under this id, the search index writes
    // it beside the add, and a deduplicated add is told from a stored one by it.
    opts.jobId = `j-${randomUUID()}`;
    const dedupe = this.#markers.forJob(queue, options, parsed.dedupeKey);
    if (dedupe === undefined) {
      return { ok: true, job: { name: parsed.name, data: parsed.data, opts, searchKeys, turn } };
    }
    opts.deduplication = { id: dedupe.deduplicationId, ttl: this.#markers.windowMs };
    return {
      ok: true,
      job: { name: parsed.name, data: parsed.data, opts, dedupe, searchKeys, turn },
    };
  }

  /**
   * {@link addBulkAtomically}, with the size of every job checked by BullMQ (`sizeLimit`) on the JSON it
   * builds anyway, before it sends any command: checking here first serialised each job twice, a
   * tenth of the API's CPU for a bulk in `pnpm bench`. Only a refused bulk pays for finding which
   * job was too large.
   */
  async #addBulkWithinLimit(queue: Queue, jobs: PreparedJob[], toAdd: PreparedJob[]) {
    const name = queue.name as QueueName;
    try {
      await applyTurns(this.#connection, queue, toAdd);
      return await this.#addAll(queue, name, toAdd);
    } catch (error) {
      if (!(error instanceof Error && /exceeds the limit/.test(error.message))) throw error;
      const index = jobs.findIndex(
        (job) => Buffer.byteLength(JSON.stringify(job.data)) > this.#maxJobBytes,
      );
      throw new PayloadTooLargeError(this.#maxJobBytes, index < 0 ? undefined : index);
    }
  }

  /**
   * Builds jobs for the {@link JobStore}, before a store is timed; a job over the size limit is
   * refused here (with its index in a bulk) and nothing is stored.
   */
  #built(queue: Queue, jobs: readonly PreparedJob[], bulk: boolean): BuiltJob[] {
    return jobs.map((job, index) => {
      try {
        return this.#store.build(queue, job);
      } catch (error) {
        if (!(error instanceof Error && /exceeds the limit/.test(error.message))) throw error;
        throw new PayloadTooLargeError(this.#maxJobBytes, bulk ? index : undefined);
      }
    });
  }

  /**
   * Stores one job with `queue.add`; its search entry goes in the same turn of the event loop,
   * with those of the other enqueues of that turn, on the same connection: no extra round trip,
   * no transaction (a MULTI around a single add cost a third of the enqueue rate).
   */
  async #add(queue: Queue, name: QueueName, job: PreparedJob) {
    const indexed = this.#search.writeSoon(
      this.#connection,
      queue.qualifiedName,
      { id: String(job.opts.jobId), keys: job.searchKeys },
      searchTtlMs(name, job.opts.delay),
    );
    const [added] = await Promise.all([queue.add(job.name, job.data, job.opts), indexed]);
    return added;
  }

  /**
   * Stores jobs in one transaction ({@link addBulkAtomically}) with the search entries of those
   * it stored, in the same round trip.
   */
  #addAll(queue: Queue, name: QueueName, jobs: PreparedJob[]) {
    const indexed = jobs.map((job) => ({ id: String(job.opts.jobId), keys: job.searchKeys }));
    const delay = Math.max(0, ...jobs.map((job) => job.opts.delay ?? 0));
    const index = this.#search.alongside(
      this.#connection,
      queue.qualifiedName,
      indexed,
      searchTtlMs(name, delay),
    );
    return addBulkAtomically(queue, jobs, index);
  }

  /**
   * Wraps a store operation with a quota: counts `jobs` first (throwing
   * {@link QuotaExceededError} when they do not fit), then un-counts those the operation did not
   * store (deduplicated, or all of them when it failed).
   */
  #charging<T extends EnqueueResult | EnqueueResult[]>(
    charge: QuotaCharge | undefined,
    queue: QueueName,
    jobs: readonly PreparedJob[],
    operation: () => Promise<T>,
  ): () => Promise<T> {
    if (charge === undefined) return operation;
    return async () => {
      const items: QuotaItem[] = jobs.map((job) => ({
        queue,
        id: String(job.opts.jobId),
        bytes: Buffer.byteLength(JSON.stringify(job.data) ?? ''),
      }));
      const reservation = await this.#quotas.reserve(charge, items);
      const all = items.map((item) => item.id);
      try {
        const result = await operation();
        const stored = new Set(
          [result].flat().flatMap((each) => (each.deduplicated ? [] : [each.id])),
        );
        reservation.release(all.filter((id) => !stored.has(id)));
        return result;
      } catch (error) {
        reservation.release(all);
        throw error;
      }
    };
  }
}

import { createHash, randomUUID } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import { type JobsOptions, Queue } from 'bullmq';
import { addBulkAtomically } from './add-bulk-atomically.js';
import { ClientQuota, type QuotaCharge, type QuotaItem } from './client-quota.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
import { PayloadTooLargeError } from './errors/payload-too-large-error.js';
import { type PayloadIssue, PayloadValidationError } from './errors/payload-validation-error.js';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { TenantNotAllowedError } from './errors/tenant-not-allowed-error.js';
import { UnknownQueueError } from './errors/unknown-queue-error.js';
import { setExpiry } from './job-expiry.js';
import { DEDUPE_WINDOW_MS } from './job-policies.js';
import { payloadFingerprint } from './payload-fingerprint.js';
import { isQueueName, QUEUE_CATALOG, QUEUE_NAMES, type QueueName } from './queue-catalog.js';
import type { QueueDefinition } from './queue-definition.js';
import { deduplicationKey, rearmDeduplication } from './rearm-deduplication.js';
import { toRedisFailure, withDeadline } from './redis-failure.js';
import { ReplicaAck, type ReplicaAckOptions } from './replica-ack.js';
import { applyTurns } from './tenants/apply-turns.js';
import type { TurnRequest } from './tenants/assign-turns.js';
import { setTenant } from './tenants/job-tenant.js';
import { resolveTenant } from './tenants/resolve-tenant.js';

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

/** Options for {@link Producer}. */
export interface ProducerOptions {
  /** A fail-fast (`producer` role) connection; shared by every queue of the process. */
  connection: RedisConnection;
  /** BullMQ key prefix (hash-tagged under Cluster). */
  prefix: string;
  /**
   * Largest job data, in bytes of JSON.
   * @defaultValue 262144 (256 KiB)
   */
  maxJobBytes?: number;
  /**
   * How long an idempotency key or Slack `event_id` is remembered.
   * @defaultValue 86400000 (24 h)
   */
  dedupeWindowMs?: number;
  /**
   * Upper bound of one enqueue, connection wait included.
   * @defaultValue 2000
   */
  timeoutMs?: number;
  /**
   * Called with connection errors the queues report in the background (the request that hit
   * them has already been answered); typically a logger.
   * @defaultValue ignore
   */
  onError?: (error: Error, queue: string) => void;
  /**
   * Called when the marker that carries a dedupe window past retention could not be written
   * behind an answer (the job itself is stored); typically a logger's warn.
   * @defaultValue ignore
   */
  onMarkerError?: (error: Error, queue: string) => void;
  /**
   * When set, an enqueue (single, bulk, replay) resolves only once this many replicas have it
   * (Redis `WAIT` on the connection that wrote it), else throws `ReplicaAckTimeoutError`. Not
   * under Cluster. The deadline of an enqueue grows by twice its timeout.
   * @defaultValue undefined (answer once the master has it)
   */
  replicaAck?: ReplicaAckOptions;
}

/** How an enqueue is deduplicated beyond the catalog's own keys (Slack `event_id`). */
export interface EnqueueOptions {
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

interface PreparedJob {
  name: string;
  data: unknown;
  opts: JobsOptions;
  /** Marker key that remembers the job for the dedupe window, when it has a dedupe key. */
  markerKey?: string;
  /** Where the request's fingerprint is kept, when it carries an idempotency key. */
  fingerprintKey?: string;
  /** Its tenant's place in the fair order; sets its BullMQ priority just before it is stored. */
  turn: TurnRequest;
}

const catalogExpiry = (queue: QueueName, name: string): number | undefined =>
  (QUEUE_CATALOG[queue] as QueueDefinition).expiresInMs?.[name];

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 40);

/** The key space of an idempotency key: its client's, when known (names hold no `:`). */
const scopedIdempotencyKey = (options: EnqueueOptions) =>
  options.client === undefined
    ? `idempotency:${options.idempotencyKey}`
    : `idempotency@${options.client}:${options.idempotencyKey}`;

/** A bulk request's remembered ids, with the fingerprint of the request that stored them. */
interface RememberedBulk {
  fingerprint?: string;
  ids: string[];
}

function parseRememberedBulk(text: string): RememberedBulk {
  const value = JSON.parse(text) as unknown;
  // Markers written before fingerprints were kept hold the ids alone.
  return Array.isArray(value) ? { ids: value as string[] } : (value as RememberedBulk);
}

/**
 * The typed producer: validates jobs against the catalog and stores them in BullMQ, one Queue
 * per catalog queue for the whole process.
 *
 * Responsibilities:
 * - validate and name jobs through the catalog, all jobs of a bulk before any is stored;
 * - enforce the per-job size limit;
 * - deduplicate by `Idempotency-Key` (per client) and Slack `event_id` for 24 hours, also after
 *   the job itself was removed by retention (BullMQ drops its own deduplication key with the job,
 *   so a marker key with its own TTL carries the window); refuse a key reused for a different
 *   request;
 * - fail fast with {@link RedisUnavailableError} when Redis cannot store the job, never report a
 *   job as stored that was not;
 * - with `replicaAck`, report a job as stored only once that many replicas have it
 *   ({@link ReplicaAck}).
 */
export class Producer {
  private readonly queues = new Map<QueueName, Queue>();
  private readonly deadLetterQueues = new Map<QueueName, DeadLetterQueue>();
  private readonly maxJobBytes: number;
  private readonly dedupeWindowMs: number;
  private readonly timeoutMs: number;
  private readonly quotas: ClientQuota;
  private readonly replicaAck: ReplicaAck | undefined;

  constructor(private readonly options: ProducerOptions) {
    this.quotas = new ClientQuota(options.connection, options.prefix);
    this.maxJobBytes = options.maxJobBytes ?? 256 * 1024;
    this.dedupeWindowMs = options.dedupeWindowMs ?? DEDUPE_WINDOW_MS;
    const { replicaAck } = options;
    this.replicaAck = replicaAck ? new ReplicaAck(options.connection, replicaAck) : undefined;
    // A write can queue behind another request's WAIT, then wait for its own.
    this.timeoutMs = (options.timeoutMs ?? 2000) + 2 * (replicaAck?.timeoutMs ?? 0);
    const onError = options.onError ?? (() => {});
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix,
        defaultJobOptions: QUEUE_CATALOG[name].defaultJobOptions,
      });
      queue.on('error', (error) => onError(error, name));
      this.queues.set(name, queue);
      const deadLetters = new DeadLetterQueue(name, {
        connection: options.connection,
        prefix: options.prefix,
      });
      deadLetters.queue.on('error', (error) => onError(error, deadLetters.name));
      this.deadLetterQueues.set(name, deadLetters);
    }
  }

  /** The BullMQ queue of a catalog queue; throws {@link UnknownQueueError} for any other name. */
  queue(name: string): Queue {
    const queue = isQueueName(name) ? this.queues.get(name) : undefined;
    if (!queue) throw new UnknownQueueError(name, QUEUE_NAMES);
    return queue;
  }

  /** The dead-letter queue of a catalog queue. */
  deadLetters(name: string): DeadLetterQueue {
    const queue = isQueueName(name) ? this.deadLetterQueues.get(name) : undefined;
    if (!queue) throw new UnknownQueueError(name, QUEUE_NAMES);
    return queue;
  }

  /**
   * Validates and stores one job, in one Redis round trip also when it carries a dedupe key: the
   * re-arm script and the `add` leave together, and the marker is written behind the answer.
   */
  async enqueue(
    queueName: string,
    request: JobRequest,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const queue = this.queue(queueName);
    const name = queueName as QueueName;
    const prepared = this.prepare(queue, name, request, '', options);
    if (!prepared.ok) throw new PayloadValidationError(prepared.issues);
    const job = prepared.job;
    return this.run(
      this.charging(options.quota, name, [job], async () => {
        await applyTurns(this.options.connection, queue, [job]);
        const { markerKey } = job;
        const deduplicationId = job.opts.deduplication?.id;
        if (markerKey === undefined || deduplicationId === undefined) {
          const added = await queue.add(job.name, job.data, job.opts);
          return { id: String(added.id), queue: name, name: job.name, deduplicated: false };
        }
        const rearmed = rearmDeduplication(
          this.options.connection,
          markerKey,
          deduplicationKey(queue, deduplicationId),
          job.fingerprintKey === undefined
            ? undefined
            : {
                key: job.fingerprintKey,
                value: payloadFingerprint(request),
                windowMs: this.dedupeWindowMs,
              },
        );
        const [added, { remembered, conflict }] = await Promise.all([
          queue.add(job.name, job.data, job.opts),
          rearmed,
        ]);
        const id = String(added.id);
        const deduplicated = id !== job.opts.jobId;
        // BullMQ's key covers the window while the job exists; the marker carries it past retention.
        // Not awaited: the job is stored, and a marker lost with the connection costs at worst a
        // duplicate of a removed job, never a lost one. A deduplicated add with no marker heals it.
        if (remembered === null) this.remember(name, markerKey, id);
        // The add deduplicated to the earlier job: nothing of this request was stored.
        if (conflict) throw new IdempotencyKeyReusedError();
        return { id, queue: name, name: job.name, deduplicated };
      }),
    );
  }

  /**
   * Validates every job, then stores them in one transaction ({@link addBulkAtomically}): nothing
   * is stored when any job is invalid or too large, or when Redis refuses any of them. An
   * `idempotencyKey` covers the whole request: a repeat returns the first request's ids, the same
   * key with different jobs throws {@link IdempotencyKeyReusedError}.
   */
  async enqueueBulk(
    queueName: string,
    requests: JobRequest[],
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult[]> {
    const queue = this.queue(queueName);
    const name = queueName as QueueName;
    const jobs: PreparedJob[] = [];
    const issues: PayloadIssue[] = [];
    requests.forEach((request, index) => {
      const prepared = this.prepare(queue, name, request, `jobs.${index}.`, {
        ...(options.quota ? { quota: options.quota } : {}),
        ...(options.tenants ? { tenants: options.tenants } : {}),
      });
      if (prepared.ok) jobs.push(prepared.job);
      else issues.push(...prepared.issues);
    });
    if (issues.length > 0) throw new PayloadValidationError(issues);
    const connection = this.options.connection;
    const requestMarker = options.idempotencyKey
      ? queue.toKey(`idem:bulk:${hashKey(scopedIdempotencyKey(options))}`)
      : undefined;
    const fingerprint = requestMarker ? payloadFingerprint(requests) : undefined;

    return this.run(
      this.charging(options.quota, name, jobs, async () => {
        if (requestMarker) {
          const text = await connection.get(requestMarker);
          if (text !== null) {
            const remembered = parseRememberedBulk(text);
            if (remembered.fingerprint !== undefined && remembered.fingerprint !== fingerprint) {
              throw new IdempotencyKeyReusedError();
            }
            return remembered.ids.map((id, index) => ({
              id,
              queue: name,
              name: jobs[index]?.name ?? '',
              deduplicated: true,
            }));
          }
        }
        const markerKeys = jobs.flatMap((job) => (job.markerKey ? [job.markerKey] : []));
        const remembered = markerKeys.length > 0 ? await connection.mget(...markerKeys) : [];
        const rememberedByKey = new Map(markerKeys.map((key, index) => [key, remembered[index]]));
        const toAdd = jobs.filter((job) => !job.markerKey || !rememberedByKey.get(job.markerKey));
        await applyTurns(connection, queue, toAdd);
        const added = toAdd.length > 0 ? await this.addBulkWithinLimit(queue, jobs, toAdd) : [];
        const addedIds = new Map(toAdd.map((job, index) => [job, String(added[index]?.id)]));

        const results = jobs.map((job): EnqueueResult => {
          const known = job.markerKey ? rememberedByKey.get(job.markerKey) : undefined;
          if (known) return { id: known, queue: name, name: job.name, deduplicated: true };
          const id = addedIds.get(job) ?? '';
          return {
            id,
            queue: name,
            name: job.name,
            deduplicated: job.opts.jobId !== undefined && id !== job.opts.jobId,
          };
        });
        const markers = connection.pipeline();
        for (const job of toAdd) {
          if (job.markerKey)
            markers.set(job.markerKey, addedIds.get(job) ?? '', 'PX', this.dedupeWindowMs, 'NX');
        }
        if (requestMarker) {
          const remembered: RememberedBulk = { fingerprint, ids: results.map((r) => r.id) };
          markers.set(requestMarker, JSON.stringify(remembered), 'PX', this.dedupeWindowMs, 'NX');
        }
        if (markers.length > 0) await markers.exec();
        return results;
      }),
    );
  }

  /** Replays a dead letter onto its origin queue; returns the new job's id. */
  async replayDeadLetter(queueName: string, id: string): Promise<string> {
    const origin = this.queue(queueName);
    return this.run(() => this.deadLetters(queueName).replay(id, origin));
  }

  /** Closes the queues (not the shared connection, which its creator closes). */
  async close(): Promise<void> {
    await Promise.all([
      ...[...this.queues.values()].map((queue) => queue.close()),
      ...[...this.deadLetterQueues.values()].map((queue) => queue.close()),
    ]);
  }

  private prepare(
    queue: Queue,
    queueName: QueueName,
    request: JobRequest,
    issuePrefix: string,
    options: EnqueueOptions,
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
    const opts: JobsOptions = { sizeLimit: this.maxJobBytes };
    setTenant(opts, tenant.tenant);
    if (request.options?.delay) opts.delay = request.options.delay;
    const turn: TurnRequest = {
      tenant: tenant.tenant,
      ...(request.options?.priority ? { priority: request.options.priority } : {}),
      ...(request.options?.delay ? { delayed: true } : {}),
    };
    const expiresInMs = request.options?.expiresInMs ?? catalogExpiry(queueName, parsed.name);
    if (expiresInMs !== undefined) setExpiry(opts, expiresInMs);
    const keyed = options.idempotencyKey !== undefined;
    const dedupeKey = keyed ? scopedIdempotencyKey(options) : parsed.dedupeKey;
    if (dedupeKey === undefined) {
      // A quota counts the job under the id it will have, known before it is stored.
      if (options.quota) opts.jobId = `j-${randomUUID()}`;
      return { ok: true, job: { name: parsed.name, data: parsed.data, opts, turn } };
    }
    const hash = hashKey(dedupeKey);
    // Our own id lets us tell a stored job from one BullMQ deduplicated to an earlier id.
    opts.jobId = `j-${randomUUID()}`;
    opts.deduplication = { id: hash, ttl: this.dedupeWindowMs };
    return {
      ok: true,
      job: {
        name: parsed.name,
        data: parsed.data,
        opts,
        turn,
        markerKey: queue.toKey(`idem:${hash}`),
        ...(keyed ? { fingerprintKey: queue.toKey(`idemfp:${hash}`) } : {}),
      },
    };
  }

  /**
   * {@link addBulkAtomically}, with the size of every job checked by BullMQ (`sizeLimit`) on the JSON it
   * builds anyway, before it sends any command: checking here first serialised each job twice, a
   * tenth of the API's CPU for a bulk in `pnpm bench`. Only a refused bulk pays for finding which
   * job was too large.
   */
  private async addBulkWithinLimit(queue: Queue, jobs: PreparedJob[], toAdd: PreparedJob[]) {
    try {
      return await addBulkAtomically(queue, toAdd);
    } catch (error) {
      if (!(error instanceof Error && /exceeds the limit/.test(error.message))) throw error;
      const index = jobs.findIndex(
        (job) => Buffer.byteLength(JSON.stringify(job.data)) > this.maxJobBytes,
      );
      throw new PayloadTooLargeError(this.maxJobBytes, index < 0 ? undefined : index);
    }
  }

  /**
   * Wraps a store operation with a quota: counts `jobs` first (throwing
   * {@link QuotaExceededError} when they do not fit), then un-counts those the operation did not
   * store (deduplicated, or all of them when it failed).
   */
  private charging<T extends EnqueueResult | EnqueueResult[]>(
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
      const reservation = await this.quotas.reserve(charge, items);
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

  /** Writes the marker that remembers `id` for the dedupe window, unless one exists. */
  private remember(queue: QueueName, markerKey: string, id: string): void {
    this.options.connection
      .set(markerKey, id, 'PX', this.dedupeWindowMs, 'NX')
      .catch((error: Error) => this.options.onMarkerError?.(error, queue));
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    const status = this.options.connection.status;
    if (status !== 'ready') throw new RedisUnavailableError(`not connected (connection ${status})`);
    try {
      const stored = this.replicaAck
        ? this.replicaAck.after(operation, (result) =>
            // A deduplicated answer names a job that may have been written by another process.
            [result]
              .flat()
              .some((each) => (each as { deduplicated?: boolean } | undefined)?.deduplicated)
              ? `${this.options.prefix}:replica-ack:fence`
              : undefined,
          )
        : operation();
      return await withDeadline(stored, this.timeoutMs);
    } catch (error) {
      if (
        error instanceof PayloadTooLargeError ||
        error instanceof IdempotencyKeyReusedError ||
        error instanceof QuotaExceededError ||
        error instanceof TenantNotAllowedError
      ) {
        throw error;
      }
      if (error instanceof Error && /exceeds the limit/.test(error.message)) {
        throw new PayloadTooLargeError(this.maxJobBytes);
      }
      throw toRedisFailure(error);
    }
  }
}

import type { Queue } from 'bullmq';
import { FAILED_RETENTION_MS } from './job-policies.js';

/*
 * Every Redis key and channel Conveyor writes beside BullMQ's own, and how long each lives.
 * Their Lua scripts are in `./scripts/`.
 *
 * Two rules hold for every key here (docs/architecture.md, "Redis rules"):
 * - it is built from the queues' prefix (`QUEUE_PREFIX`, which carries the `{...}` hash tag), so
 *   it shares the queues' hash slot and a script may touch it together with BullMQ's keys under
 *   Redis Cluster;
 * - it expires or is removed once it goes quiet (the TTL beside each builder), so nothing grows
 *   without bound under `noeviction`.
 *
 * Per-queue keys go through `queue.toKey(...)`: `<prefix>:<queue>:<suffix>`, the shape of
 * BullMQ's own keys. Process-wide keys are `<prefix>:<area>:...`.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Lifetimes

/**
 * Idempotency keys, Slack `event_id`s and `trigger_id`s are remembered 24 hours, whatever the
 * retention; a Slack reply is remembered as long (a re-delivered event must not post twice).
 */
export const DEDUPE_WINDOW_MS = DAY_MS;
/** Ending records (`cancelled`, `expired`) are kept as long as failed jobs. */
export const JOB_ENDING_TTL_MS = FAILED_RETENTION_MS;
/** The dead-letter sweep's watermark is kept as long as the failed jobs it walks. */
export const SWEEP_WATERMARK_TTL_MS = FAILED_RETENTION_MS;
/**
 * The origin ids a dead-letter queue recorded are trimmed after twice the failed-job retention,
 * so an origin job is remembered for as long as it can be found among the failed jobs.
 */
export const DEAD_LETTER_ORIGINS_KEPT_MS = 2 * FAILED_RETENTION_MS;
/** The throwaway key written before a replica wait that vouches for another process's job. */
export const REPLICA_ACK_FENCE_TTL_MS = 60_000;
/**
 * Added to a client's largest allowed delay for the life of its quota counters: they outlive
 * every job they count, and go once the client goes quiet.
 */
export const QUOTA_TTL_MARGIN_MS = DAY_MS;
/** A document's last-ingest record: an expired one only costs one re-ingest. */
export const INGEST_STATE_TTL_MS = 30 * DAY_MS;

// ---------------------------------------------------------------------------------------------
// BullMQ's own keys (read or written by our scripts; BullMQ owns their lifetime)

/** BullMQ's own key types that Conveyor's scripts read or write. */
export type BullKeyType =
  | 'wait'
  | 'active'
  | 'prioritized'
  | 'delayed'
  | 'meta'
  | 'limiter'
  | 'failed';

/** BullMQ's own key `type` of `queue`. */
export function bullKey(queue: Queue, type: BullKeyType): string {
  return queue.toKey(type);
}

/** BullMQ's hash of job `id` of `queue` (`<prefix>:<queue>:<id>`). */
export function jobKey(queue: Queue, id: string): string {
  return queue.toKey(id);
}

/**
 * BullMQ's hash of job `id` in the queue named `queueName` under `prefix`, for code that holds a
 * queue's name rather than its `Queue` (the quota's entries): the same key as
 * `jobKeyPrefix(queue) + id`.
 */
export function bullJobKey(prefix: string, queueName: string, id: string): string {
  return `${prefix}:${queueName}:${id}`;
}

/** BullMQ's deduplication key of `deduplicationId` (as its own `getDeduplicationJobId` builds it). */
export function bullDeduplicationKey(queue: Queue, deduplicationId: string): string {
  return `${queue.keys.de}:${deduplicationId}`;
}

// ---------------------------------------------------------------------------------------------
// Per-queue keys

/**
 * The marker that remembers the job stored for a dedupe key (hashed) for
 * {@link DEDUPE_WINDOW_MS}, past the job's own retention.
 */
export function dedupeMarkerKey(queue: Queue, hash: string): string {
  return queue.toKey(`idem:${hash}`);
}

/** The fingerprint of the request that first used an idempotency key (hashed); same TTL. */
export function idempotencyFingerprintKey(queue: Queue, hash: string): string {
  return queue.toKey(`idemfp:${hash}`);
}

/** The ids (and fingerprint) a bulk request with an idempotency key stored; same TTL. */
export function bulkRequestMarkerKey(queue: Queue, hash: string): string {
  return queue.toKey(`idem:bulk:${hash}`);
}

/** The pub/sub channel that tells every worker process of `queue` which job was cancelled. */
export function cancelChannel(queue: Queue): string {
  return queue.toKey('cancel');
}

/**
 * The recent cancellations of `queue` (job ids scored by time): what a worker whose subscriber
 * connection was down reads when it comes back. Trimmed to a count on each write.
 */
export function recentCancelsKey(queue: Queue): string {
  return queue.toKey('cancels');
}

/** The ending record of job `id` of `queue`, kept {@link JOB_ENDING_TTL_MS}. */
export function jobEndingKey(queue: Queue, id: string): string {
  return queue.toKey(`ended:${id}`);
}

/**
 * Sorted set of the origin job ids a dead-letter queue recorded, scored by when; trimmed to
 * {@link DEAD_LETTER_ORIGINS_KEPT_MS} on each write.
 */
export function deadLetterOriginsKey(deadLetterQueue: Queue): string {
  return deadLetterQueue.toKey('origins');
}

/**
 * Sorted set of one tenant's dead letters (letter ids scored by their timestamp), so a
 * tenant-scoped listing reads that tenant's letters alone. Written with each letter, trimmed to
 * the retention on each write and read, expiring the retention after its last write; a letter
 * replayed leaves it at once, one removed otherwise (Bull Board) when a listing meets it.
 */
export function deadLetterTenantKey(deadLetterQueue: Queue, tenant: string): string {
  return deadLetterQueue.toKey(`tenant-letters:${tenant}`);
}

/**
 * Set when a pass over the queue indexed by tenant the letters recorded without the index (older
 * versions, and in a rolling deploy still running ones). Expires {@link TENANT_BACKFILL_REPEAT_MS}
 * after the pass, so that the next tenant-scoped listing after that makes another pass.
 */
export function deadLetterTenantsIndexedKey(deadLetterQueue: Queue): string {
  return deadLetterQueue.toKey('tenant-letters-indexed');
}

/** How long a tenant-index pass counts as done (see {@link deadLetterTenantsIndexedKey}). */
export const TENANT_BACKFILL_REPEAT_MS = 24 * 60 * 60 * 1000;

/** The lock that lets one process at a time make the tenant-index pass; expires on its own. */
export function deadLetterTenantsIndexLockKey(deadLetterQueue: Queue): string {
  return deadLetterQueue.toKey('tenant-letters-index-lock');
}

/** The short lock that keeps overlapping dead-letter sweeps from doing the same work. */
export function sweepLockKey(deadLetterQueue: Queue): string {
  return deadLetterQueue.toKey('sweep-lock');
}

/** Where the last dead-letter sweep stopped, kept {@link SWEEP_WATERMARK_TTL_MS}. */
export function sweepWatermarkKey(deadLetterQueue: Queue): string {
  return deadLetterQueue.toKey('sweep-watermark');
}

// ---------------------------------------------------------------------------------------------
// Tenants (per queue; see `./tenants/`)

/**
 * The Redis keys of tenants, all built from the queue's own prefix (one hash slot under Cluster).
 *
 * - `tenants`: ZSET tenant -> its next turn (virtual time); only tenants with jobs waiting;
 * - `tenants:clock`: the last turn handed out, where turns resume when nothing is waiting;
 * - `tenants:lanes`: ZSET `p:<tenant>` / `d:<tenant>` -> next turn of its priority and delayed
 *   lanes; pruned like `tenants`;
 * - `tenants:parked`: ZSET tenant -> jobs parked at its concurrency cap;
 * - `tenants:limited`: ZSET tenant -> end of its pause, for the listing (expires with the last);
 * - `tenant:<t>:running`, `:parked`, `:limited`, `:starts`: one tenant's running jobs (cap),
 *   parked jobs, pause deadline and last start slots (rate limit); each removed or expiring once the tenant is quiet;
 * - `tenant-slot:<jobId>`: a rate-limit slot reserved for a job delayed to it.
 */
export const tenantKeys = {
  turns: (queue: Queue) => queue.toKey('tenants'),
  clock: (queue: Queue) => queue.toKey('tenants:clock'),
  lanes: (queue: Queue) => queue.toKey('tenants:lanes'),
  parkedIndex: (queue: Queue) => queue.toKey('tenants:parked'),
  limitedIndex: (queue: Queue) => queue.toKey('tenants:limited'),
  running: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:running`),
  parked: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:parked`),
  limited: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:limited`),
  rate: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:starts`),
  slot: (queue: Queue, jobId: string) => queue.toKey(`tenant-slot:${jobId}`),
  /** BullMQ's lock of a running job: gone once its worker stopped renewing it. */
  lock: (queue: Queue, jobId: string) => `${queue.toKey(jobId)}:lock`,
};

// ---------------------------------------------------------------------------------------------
// Process-wide keys, under the queues' prefix

/**
 * A client's quota counters: the set of jobs counted (`jobs`) and their byte total (`bytes`),
 * expiring {@link QUOTA_TTL_MARGIN_MS} after the client's largest delay.
 */
export function clientQuotaKeys(prefix: string, client: string): [jobs: string, bytes: string] {
  return [`${prefix}:quota:${client}:jobs`, `${prefix}:quota:${client}:bytes`];
}

/** The throwaway write before a replica wait, kept {@link REPLICA_ACK_FENCE_TTL_MS}. */
export function replicaAckFenceKey(prefix: string): string {
  return `${prefix}:replica-ack:fence`;
}

/** The lease of the API process that exports the Redis-wide gauges (TTL: the lease's). */
export function metricsExporterLeaseKey(prefix: string): string {
  return `${prefix}:metrics:exporter`;
}

/** A client's request count in one rate-limit window (expires after two windows). */
export function rateLimitKey(prefix: string, client: string, window: number): string {
  return `${prefix}:ratelimit:${client}:${window}`;
}

/** Whether the reply to a Slack event was posted, kept {@link DEDUPE_WINDOW_MS}. */
export function slackReplyKey(prefix: string, replyKey: string): string {
  return `${prefix}:worker:slack-reply:${replyKey}`;
}

/** A document's last successful ingest, kept {@link INGEST_STATE_TTL_MS} after its last use. */
export function ingestStateKey(prefix: string, documentId: string): string {
  return `${prefix}:worker:ingest-state:${documentId}`;
}

/** The lock that keeps two workers from ingesting one document at once (TTL: the lock's). */
export function ingestLockKey(prefix: string, documentId: string): string {
  return `${prefix}:worker:ingest-lock:${documentId}`;
}

// ---------------------------------------------------------------------------------------------
// Search index (per queue, built from the queue's key `<prefix>:<queue>` so that `searchJobs`
// needs no Queue object; the values set, log, entries, cursor and floor live `searchTtlMs` after each
// sweep window; entries go with their job)

/** A queue's key, as BullMQ builds it (`queue.qualifiedName`). */
export function queueKeyOf(prefix: string, queue: string): string {
  return `${prefix}:${queue}`;
}

/** Digits of a score in a value entry: enough for enqueue time in ms x 1,000 until year 5138. */
export const SEARCH_SCORE_DIGITS = 17;

/**
 * Every value entry of the queue, one sorted set scored 0 and read by lexical range: an entry is
 * {@link searchValueEntry}, so the entries of one key and value sit together in enqueue order.
 * One set rather than one per value: a job's entries are one member each of a single `ZADD` per
 * call, not a `ZADD` and a `PEXPIRE` per value (each also written to the AOF and replicas).
 */
export function searchValuesKey(queueKey: string): string {
  return `${queueKey}:search:values`;
}

/**
 * What every entry of `key` = `value` starts with. Neither holds a NUL (`isIndexable`), so no
 * other value's entries share it.
 */
export function searchValuePrefix(key: string, value: string): string {
  return `${key}\0${value}\0`;
}

/** A score as it is written in value entries: {@link SEARCH_SCORE_DIGITS} digits, zero-padded. */
export function searchScoreText(score: number): string {
  return String(score).padStart(SEARCH_SCORE_DIGITS, '0');
}

/** The value entry of job `id` under `key` = `value`, at `score`. */
export function searchValueEntry(key: string, value: string, score: number, id: string): string {
  return `${searchValuePrefix(key, value)}${searchScoreText(score)}${id}`;
}

/** Every indexed job of the queue in enqueue order (sorted set), walked by the sweep. */
export function searchLogKey(queueKey: string): string {
  return `${queueKey}:search:log`;
}

/** The keys each indexed job was indexed under (hash: job id -> JSON of its keys). */
export function searchEntriesKey(queueKey: string): string {
  return `${queueKey}:search:keys`;
}

/** Where the sweep goes on in the log (a rank). */
export function searchCursorKey(queueKey: string): string {
  return `${queueKey}:search:cursor`;
}

/**
 * Where the head sweep goes on in the log (a score): past the long-lived entries at its head,
 * until the cursor next wraps.
 */
export function searchHeadFloorKey(queueKey: string): string {
  return `${queueKey}:search:floor`;
}

/** BullMQ's hash of job `id`. */
export function jobKeyOf(queueKey: string, id: string): string {
  return `${queueKey}:${id}`;
}

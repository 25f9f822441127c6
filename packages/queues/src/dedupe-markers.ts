import { hash } from 'node:crypto';
import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { IdempotencyKeyReusedError } from './errors/idempotency-key-reused-error.js';
import type { QueueName } from './queue-catalog.js';
import { type RearmResult, rearmDeduplication } from './rearm-deduplication.js';
import {
  bulkRequestMarkerKey,
  bullDeduplicationKey,
  dedupeMarkerKey,
  idempotencyFingerprintKey,
} from './redis-keys.js';

/** Options for {@link DedupeMarkers}. */
export interface DedupeMarkersOptions {
  /** The connection the jobs are stored on (the re-arm must travel before their `add`). */
  connection: RedisConnection;
  /** How long an idempotency key or Slack `event_id` is remembered, in ms. */
  windowMs: number;
  /**
   * Called when a marker could not be written behind an answer (the job itself is stored).
   * @defaultValue ignore
   */
  onMarkerError?: ((error: Error, queue: string) => void) | undefined;
}

/** Who asks for deduplication by key: the request's idempotency key and its client. */
export interface IdempotencyScope {
  /** The request's `Idempotency-Key`. */
  idempotencyKey?: string;
  /** The API client that sent it; keys are scoped per client. */
  client?: string;
}

/** The keys that deduplicate one job, from {@link DedupeMarkers.forJob}. */
export interface JobDedupe {
  /** BullMQ's deduplication id (a hash of the dedupe key). */
  deduplicationId: string;
  /** Marker key that remembers the job for the dedupe window. */
  markerKey: string;
  /** Where the request's fingerprint is kept, when it carries an idempotency key. */
  fingerprintKey?: string;
}

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

// One-shot `hash`: a `createHash` object per enqueue cost about twice the time.
const hashKey = (key: string) => hash('sha256', key).slice(0, 40);

/** The key space of an idempotency key: its client's, when known (names hold no `:`). */
const scopedIdempotencyKey = (scope: IdempotencyScope) =>
  scope.client === undefined
    ? `idempotency:${scope.idempotencyKey}`
    : `idempotency@${scope.client}:${scope.idempotencyKey}`;

/**
 * Dedupe markers and idempotency keys: what carries a dedupe window past the job itself.
 *
 * Responsibilities:
 * - name the dedupe key of a job (its `Idempotency-Key`, scoped per client, or the catalog's own
 *   key such as Slack's `event_id`) and the marker and fingerprint keys derived from it;
 * - re-arm BullMQ's deduplication key from the marker when it went with its job (BullMQ drops
 *   the key of a job its own scripts stored, a delayed one, when retention removes the job; the
 *   store script's jobs leave theirs its TTL), and tell a key reused for a different request;
 * - remember single jobs and whole bulk requests for the window (`SET PX NX`), and read them back.
 */
export class DedupeMarkers {
  readonly #connection: RedisConnection;
  readonly #windowMs: number;
  readonly #onMarkerError: (error: Error, queue: string) => void;

  constructor(options: DedupeMarkersOptions) {
    this.#connection = options.connection;
    this.#windowMs = options.windowMs;
    this.#onMarkerError = options.onMarkerError ?? (() => {});
  }

  /** How long a key is remembered, in ms. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * The keys that deduplicate one job of `queue`: by the request's idempotency key when it has
   * one, else by the catalog's `catalogKey`; undefined when neither exists.
   */
  forJob(
    queue: Queue,
    scope: IdempotencyScope,
    catalogKey: string | undefined,
  ): JobDedupe | undefined {
    const keyed = scope.idempotencyKey !== undefined;
    const dedupeKey = keyed ? scopedIdempotencyKey(scope) : catalogKey;
    if (dedupeKey === undefined) return undefined;
    const hash = hashKey(dedupeKey);
    return {
      deduplicationId: hash,
      markerKey: dedupeMarkerKey(queue, hash),
      ...(keyed ? { fingerprintKey: idempotencyFingerprintKey(queue, hash) } : {}),
    };
  }

  /**
   * Sends the re-arm script for one job ({@link rearmDeduplication}); call it in the same turn
   * as, and before, the `queue.add` it protects.
   * @param fingerprint the request's fingerprint, asked for only when the job is deduplicated by
   * an idempotency key: hashing every Slack event's payload for nothing cost the API a tenth of
   * its CPU per enqueue in `pnpm bench`
   */
  rearm(queue: Queue, dedupe: JobDedupe, fingerprint: () => string): Promise<RearmResult> {
    return rearmDeduplication(
      this.#connection,
      dedupe.markerKey,
      bullDeduplicationKey(queue, dedupe.deduplicationId),
      dedupe.fingerprintKey === undefined
        ? undefined
        : { key: dedupe.fingerprintKey, value: fingerprint(), windowMs: this.#windowMs },
    );
  }

  /** Writes the marker that remembers `id` for the window, unless one exists; not awaited. */
  remember(queue: QueueName, markerKey: string, id: string): void {
    this.#connection
      .set(markerKey, id, 'PX', this.#windowMs, 'NX')
      .catch((error: Error) => this.#onMarkerError(error, queue));
  }

  /** The ids the markers remember, by marker key (missing markers absent or null). */
  async recall(markerKeys: readonly string[]): Promise<Map<string, string | null | undefined>> {
    const remembered = markerKeys.length > 0 ? await this.#connection.mget(...markerKeys) : [];
    return new Map(markerKeys.map((key, index) => [key, remembered[index]]));
  }

  /** The marker of a whole bulk request, when it carries an idempotency key. */
  bulkKey(queue: Queue, scope: IdempotencyScope): string | undefined {
    return scope.idempotencyKey
      ? bulkRequestMarkerKey(queue, hashKey(scopedIdempotencyKey(scope)))
      : undefined;
  }

  /**
   * The ids a bulk request stored earlier under `bulkKey`, or undefined; throws
   * {@link IdempotencyKeyReusedError} when that request had another fingerprint.
   */
  async recallBulk(bulkKey: string, fingerprint: string): Promise<string[] | undefined> {
    const text = await this.#connection.get(bulkKey);
    if (text === null) return undefined;
    const remembered = parseRememberedBulk(text);
    if (remembered.fingerprint !== undefined && remembered.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReusedError();
    }
    return remembered.ids;
  }

  /**
   * Remembers the jobs a bulk stored (`markers`: marker key -> id) and, with `bulk`, the whole
   * request's ids, in one pipeline.
   */
  async rememberBulk(
    markers: ReadonlyArray<readonly [string, string]>,
    bulk?: { key: string; fingerprint: string; ids: string[] },
  ): Promise<void> {
    const pipeline = this.#connection.pipeline();
    for (const [key, id] of markers) pipeline.set(key, id, 'PX', this.#windowMs, 'NX');
    if (bulk) {
      const remembered: RememberedBulk = { fingerprint: bulk.fingerprint, ids: bulk.ids };
      pipeline.set(bulk.key, JSON.stringify(remembered), 'PX', this.#windowMs, 'NX');
    }
    if (pipeline.length > 0) await pipeline.exec();
  }
}

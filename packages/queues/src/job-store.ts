import { atTurnEnd, queuedAllowanceMs, type RedisConnection } from '@conveyor/redis';
import { type JobsOptions, optsEncodeMap, type Queue } from 'bullmq';
import type { QueueName } from './queue-catalog.js';
import {
  bullDeduplicationKey,
  jobKeyOf,
  searchCursorKey,
  searchEntriesKey,
  searchHeadFloorKey,
  searchLogKey,
  searchScoreText,
  searchValuesKey,
  tenantKeys,
} from './redis-keys.js';
import { STORE_JOBS_SCRIPT } from './scripts/store-jobs.js';
import { LuaScript } from './search/lua-script.js';
import { pushValuePrefixes, type SearchIndex } from './search/search-index.js';
import type { SearchKeys } from './search/search-keys.js';
import { searchTtlMs } from './search/search-ttl.js';
import type { TurnRequest } from './tenants/assign-turns.js';

const STORE = new LuaScript(STORE_JOBS_SCRIPT);

/**
 * Most single jobs sent in one script call by {@link JobStore.storeSoon}; more in one turn of the
 * event loop start another call. Bounds what one call unpacks and sweeps, how long it holds Redis
 * and how many arguments it spreads.
 */
export const MAX_JOBS_PER_CALL = 256;
/**
 * Most characters of job data and options JSON (bytes, for ASCII) in one call of
 * {@link JobStore.storeSoon}; a single job larger than this goes alone. With large job size
 * limits, one call must not carry gigabytes and hold Redis while it runs.
 */
export const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;

/**
 * Time Redis is granted per job of a store call, on top of the connection's command deadline and
 * of the write guard's; commands sent behind the call on the connection get it too
 * (`sendCommandWithin`). A call of 1,000 jobs runs for tens of ms on an idle Redis, but with a
 * few in flight on a starved machine they took seconds from send to reply (issue 14's bench:
 * 0.8 s queued, up to 0.9 s running), and a 1 s deadline reported that Redis as unavailable. A
 * Redis that answers nothing is still reported, after the command deadline plus this per job in
 * flight (a single job alone: 5 ms more).
 */
export const STORE_MS_PER_JOB = 5;

/** One job for {@link JobStore}. */
export interface JobToStore {
  name: string;
  data: unknown;
  /**
   * Its BullMQ options, `jobId` set (a fresh id: BullMQ's check that it is free is not made);
   * the priority is its turn, set by the store. See {@link JobStore.accepts} for what it may not
   * carry.
   */
  opts: JobsOptions;
  /** Its tenant's place in the fair order. */
  turn: TurnRequest;
  /** What it is indexed under for search. */
  searchKeys: SearchKeys;
  /**
   * The marker of its deduplication (`DedupeMarkers`), when the store is to handle it in the
   * job's own call: BullMQ's key re-armed from it before the check, and it written (`SET NX`,
   * the deduplication TTL) with the id the job got. Requires `opts.deduplication`.
   * @defaultValue none: the caller re-arms and writes markers
   */
  marker?: string;
}

/** Single jobs of one queue waiting for the end of this turn of the event loop. */
interface PendingStore {
  entries: BuiltJob[];
  /** Bytes of data and options of its entries. */
  bytes: number;
  done: Promise<string[]>;
}

type BullOptions = JobsOptions & { telemetry?: { metadata?: unknown; omitContext?: unknown } };

/**
 * `opts` in the form BullMQ 6 stores in a job's hash, less `priority` (the store script puts the
 * turn there): BullMQ's short names (`optsEncodeMap`), undefined and null left out (its msgpack
 * and Lua round trip drops them).
 */
function encodeOptions(opts: BullOptions): Record<string, unknown> {
  const encoded: Record<string, unknown> = {};
  const names = optsEncodeMap as Record<string, string>;
  // `for...in` over own members: `Object.entries`' order without an array per member.
  for (const name in opts) {
    if (!Object.hasOwn(opts, name)) continue;
    const value = (opts as Record<string, unknown>)[name];
    if (value === undefined || value === null || name === 'priority') continue;
    if (name === 'backoff' && typeof value === 'number') {
      // BullMQ's Job normalises a delay alone so (`Backoffs.normalize`).
      encoded[names[name] ?? name] = { type: 'fixed', delay: value };
    } else if (name === 'telemetry') {
      const { metadata, omitContext } = value as NonNullable<BullOptions['telemetry']>;
      if (metadata !== undefined) encoded.tm = metadata;
      if (omitContext !== undefined) encoded.omc = omitContext;
    } else {
      encoded[names[name] ?? name] = value;
    }
  }
  return encoded;
}

/**
 * BullMQ's test for an id it would take for one of its own (`${parseInt(id, 10)}` === id),
 * made only for ids that can pass it: on every job of a bulk it cost a fifth of serialising its
 * data.
 */
function isIntegerLike(id: string): boolean {
  const first = id.charCodeAt(0);
  const possible = (first >= 48 && first <= 57) || first === 45 || id === 'NaN';
  return possible && `${Number.parseInt(id, 10)}` === id;
}

/**
 * A queue's default job options, encoded once: their JSON members (no braces) and names, so a
 * job's stored options are that plus its own options' JSON.
 */
interface EncodedDefaults {
  members: string;
  names: Set<string>;
}

/**
 * Stores prioritized jobs with their tenant's turn and their search entries in one Redis call
 * ({@link STORE_JOBS_SCRIPT}), all of them or none (see the script for what that covers).
 *
 * Responsibilities:
 * - build and validate each job as BullMQ would (its `Job`, options, `sizeLimit`) before sending
 *   anything;
 * - send a bulk as one script call, and the single jobs of one turn of the event loop together
 *   (under load several HTTP requests are read in one turn), in calls of at most
 *   {@link MAX_JOBS_PER_CALL} jobs and {@link MAX_BYTES_PER_CALL} bytes;
 * - hand the search sweep its entries ({@link SearchIndex.sweepAfter}).
 */
export class JobStore {
  readonly #connection: RedisConnection;
  readonly #search: SearchIndex;
  readonly #pending = new Map<string, PendingStore>();
  readonly #defaults = new WeakMap<Queue, EncodedDefaults>();

  constructor(connection: RedisConnection, search: SearchIndex) {
    this.#connection = connection;
    this.#search = search;
  }

  /**
   * True for a job the store can take: no delay (a delayed job waits in BullMQ's delayed set),
   * no parent, no repeat (`repeat`, `repeatJobKey`: BullMQ keeps the key out of `opts` and
   * schedules such jobs itself), and no deduplication other than `{ id, ttl }` (BullMQ's own
   * scripts handle the rest).
   */
  static accepts(job: Pick<JobToStore, 'opts'>): boolean {
    const { delay, deduplication, parent, repeatJobKey } = job.opts;
    const { repeat } = job.opts as { repeat?: unknown };
    return (
      !delay &&
      parent === undefined &&
      repeat === undefined &&
      repeatJobKey === undefined &&
      (deduplication === undefined ||
        (Object.keys(deduplication).every((name) => name === 'id' || name === 'ttl') &&
          (deduplication.ttl ?? 0) > 0))
    );
  }

  /**
   * Builds `job` as BullMQ's `Job` does for an `add` (options over the queue's defaults, data as
   * JSON, the timestamp) and makes BullMQ's checks that apply to it (`sizeLimit`, with BullMQ's
   * own message; backoff jitter), without a `Job` per job (for a bulk that cost a tenth of the
   * API's CPU). Done before a store is timed: it is CPU, not Redis.
   */
  build(queue: Queue, job: JobToStore): BuiltJob {
    const { opts } = job;
    const id = opts.jobId;
    if (typeof id !== 'string' || id === '' || id.includes(':') || isIntegerLike(id)) {
      throw new Error(`store-jobs: job id ${String(id)} is not a fresh custom id`);
    }
    const data = JSON.stringify(job.data === undefined ? {} : job.data);
    const sizeLimit = opts.sizeLimit ?? queue.jobsOpts.sizeLimit;
    // A UTF-16 code unit is at most 3 bytes of UTF-8: most jobs are under the limit uncounted.
    if (sizeLimit && data.length * 3 > sizeLimit && Buffer.byteLength(data, 'utf8') > sizeLimit) {
      throw new Error(`The size of job ${job.name} exceeds the limit ${sizeLimit} bytes`);
    }
    const backoff = opts.backoff ?? queue.jobsOpts.backoff;
    if (typeof backoff === 'object' && typeof backoff.jitter === 'number') {
      if (backoff.jitter < 0 || backoff.jitter > 1) {
        throw new Error('Jitter should be between 0 and 1');
      }
    }
    const timestamp = opts.timestamp ?? Date.now();
    return { id, data, opts: this.#encode(queue, opts), timestamp, job };
  }

  /**
   * Time to add to the deadline of a write that stores `jobs` jobs now: {@link STORE_MS_PER_JOB}
   * for each, and the time granted to the calls in flight on the connection, which Redis answers
   * first (`queuedAllowanceMs`).
   */
  allowanceMs(jobs: number): number {
    return STORE_MS_PER_JOB * jobs + queuedAllowanceMs(this.#connection);
  }

  /**
   * Stores built jobs in one call; resolves with their ids: a deduplicated job's is the id its
   * key held (nothing of it was stored).
   */
  async store(queue: Queue, name: QueueName, jobs: readonly BuiltJob[]): Promise<string[]> {
    return this.#send(queue, name, jobs);
  }

  /**
   * Stores one built job together with the other single jobs of the queue stored in the same
   * turn of the event loop: one script call for all of them, or several when they exceed
   * {@link MAX_JOBS_PER_CALL} or {@link MAX_BYTES_PER_CALL}. A refused call refuses every job it
   * carried.
   */
  async storeSoon(queue: Queue, name: QueueName, entry: BuiltJob): Promise<string> {
    const key = queue.qualifiedName;
    const bytes = entry.data.length + entry.opts.length;
    let pending = this.#pending.get(key);
    if (
      pending === undefined ||
      pending.entries.length >= MAX_JOBS_PER_CALL ||
      pending.bytes + bytes > MAX_BYTES_PER_CALL
    ) {
      const created: PendingStore = { entries: [], bytes: 0, done: Promise.resolve([]) };
      created.done = new Promise<string[]>((resolve, reject) => {
        // Not setImmediate: its script call would leave a turn later (see atTurnEnd).
        atTurnEnd(() => {
          if (this.#pending.get(key) === created) this.#pending.delete(key);
          this.#send(queue, name, created.entries).then(resolve, reject);
        });
      });
      this.#pending.set(key, created);
      pending = created;
    }
    pending.bytes += bytes;
    const index = pending.entries.push(entry) - 1;
    const stored = await pending.done;
    return stored[index] as string;
  }

  async #send(queue: Queue, name: QueueName, entries: readonly BuiltJob[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const queueKey = queue.qualifiedName;
    const jobKeys: string[] = [];
    const otherKeys = new Map<string, number>();
    const args: (string | number)[] = [];
    const now = Date.now();
    const position = (key: string) => {
      let found = otherKeys.get(key);
      if (found === undefined) {
        found = otherKeys.size + 1;
        otherKeys.set(key, found);
      }
      return found;
    };
    for (const { id, data, opts, timestamp, job } of entries) {
      jobKeys.push(jobKeyOf(queueKey, id));
      const deduplication = job.opts.deduplication;
      args.push(
        id,
        job.name,
        data,
        opts,
        timestamp,
        job.turn.tenant,
        job.turn.priority ?? 0,
        searchScoreText(this.#search.nextScore(now)),
        JSON.stringify(job.searchKeys),
        deduplication?.id ?? '',
        deduplication?.ttl ?? 0,
        deduplication ? position(bullDeduplicationKey(queue, deduplication.id)) : 0,
        deduplication && job.marker !== undefined ? position(job.marker) : 0,
      );
      pushValuePrefixes(args, job.searchKeys);
    }
    const keys = [
      queue.toKey('meta'),
      queue.toKey('id'),
      queue.toKey('prioritized'),
      queue.toKey('events'),
      queue.toKey('pc'),
      queue.toKey('marker'),
      queue.toKey('active'),
      tenantKeys.turns(queue),
      tenantKeys.clock(queue),
      tenantKeys.lanes(queue),
      searchLogKey(queueKey),
      searchEntriesKey(queueKey),
      searchCursorKey(queueKey),
      queue.toKey('delayed'),
      searchValuesKey(queueKey),
      searchHeadFloorKey(queueKey),
      ...jobKeys,
      ...otherKeys.keys(),
    ];
    const window = this.#search.windowFor(queueKey, entries.length);
    let reply: unknown;
    try {
      reply = await STORE.run(
        this.#connection,
        [
          keys.length,
          ...keys,
          entries.length,
          Math.ceil(searchTtlMs(name)),
          window.cursor,
          window.head,
          this.#search.dropBefore(now),
          ...args,
        ],
        STORE_MS_PER_JOB * entries.length,
      );
    } catch (error) {
      if (window.cursor > 0) this.#search.sweepMissed(queueKey);
      throw error;
    }
    const [ids, sweep] = reply as [string[], unknown];
    this.#search.sweepAfter(this.#connection, queueKey, sweep);
    return ids;
  }

  /** The JSON of `opts` over the queue's defaults, as BullMQ stores it (see {@link encodeOptions}). */
  #encode(queue: Queue, opts: JobsOptions): string {
    let defaults = this.#defaults.get(queue);
    if (defaults === undefined) {
      // BullMQ's Job sets `attempts: 0` under every job's options.
      const encoded = encodeOptions({ attempts: 0, ...queue.jobsOpts });
      defaults = {
        members: JSON.stringify(encoded).slice(1, -1),
        names: new Set(Object.keys(encoded)),
      };
      this.#defaults.set(queue, defaults);
    }
    const own = encodeOptions(opts);
    let names = 0;
    for (const name in own) {
      if (defaults.names.has(name)) {
        return JSON.stringify(encodeOptions({ attempts: 0, ...queue.jobsOpts, ...opts }));
      }
      names += 1;
    }
    if (names === 0) return `{${defaults.members}}`;
    if (defaults.members === '') return JSON.stringify(own);
    return `{${defaults.members},${JSON.stringify(own).slice(1)}`;
  }
}

/** A job built and checked by {@link JobStore.build}, ready to store. */
export interface BuiltJob {
  id: string;
  /** Its data as JSON. */
  data: string;
  /** Its options as BullMQ stores them, less `priority`. */
  opts: string;
  timestamp: number;
  job: JobToStore;
}

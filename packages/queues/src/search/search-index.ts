import { atTurnEnd, type RedisConnection } from '@conveyor/redis';
import type { ChainableCommander } from 'ioredis';
import type { AlongsideAdds } from '../add-bulk-atomically.js';
import {
  jobKeyOf,
  searchCursorKey,
  searchEntriesKey,
  searchHeadFloorKey,
  searchLogKey,
  searchScoreText,
  searchValuePrefix,
  searchValuesKey,
} from '../redis-keys.js';
import { SEARCH_INDEX_SCRIPT, SEARCH_PRUNE_SCRIPT } from '../scripts/search-index.js';
import { isNoScript, LuaScript } from './lua-script.js';
import { entryKeys, type SearchKeys } from './search-keys.js';

const INDEX = new LuaScript(SEARCH_INDEX_SCRIPT);
const PRUNE = new LuaScript(SEARCH_PRUNE_SCRIPT);

/** One job to index. */
export interface IndexedJob {
  id: string;
  keys: SearchKeys;
}

/** Options for {@link SearchIndex}. */
export interface SearchIndexOptions {
  /**
   * The sweep runs once per this many jobs indexed into a queue by this process (or per bulk),
   * over three times as many log entries: about three entries checked per job enqueued.
   * @defaultValue 32
   */
  sweepEvery?: number;
  /**
   * Entries younger than this are never dropped: a single enqueue writes its entry alongside its
   * `add`, on the same connection, so an entry can briefly precede its job (by about one turn of
   * the event loop; the margin covers the clocks of other processes).
   * @defaultValue 5000
   */
  graceMs?: number;
  /**
   * A live entry at the head of the log older than this is taken for a long-lived job (delayed
   * for a day, say) and passed over by the head sweep until the cursor next wraps; younger ones
   * stop it (they belong to jobs that retention removes in about enqueue order).
   * @defaultValue 30000
   */
  longLivedMs?: number;
  /**
   * Called when a sweep behind an answer failed (the next one picks up where it could not);
   * typically a logger's warn.
   * @defaultValue ignore
   */
  onError?: (error: Error, queueKey: string) => void;
}

/**
 * The log entries a write asks the sweep for: from the cursor and from the head (see
 * {@link SearchIndex.windowFor}).
 */
export interface SweepWindow {
  cursor: number;
  head: number;
}

const NO_SWEEP: SweepWindow = { cursor: 0, head: 0 };

/** Jobs indexed together by {@link SearchIndex.writeSoon}. */
interface PendingBatch {
  client: RedisConnection;
  jobs: IndexedJob[];
  ttlMs: number;
  done: Promise<void>;
}

/**
 * Log entries the cursor sweep checks per job indexed. The log holds the retained jobs R plus
 * dead entries D; a round over it takes (R + D) / k jobs, which leave as many dead entries
 * behind, so D settles near (R + D) / k: D = R / (k - 1). At 1 it never settles (a window capped
 * at 1,000 for bulks of 1,000 grew without bound in the bench); at 2 the log stays under twice R
 * whatever order jobs leave in. The head sweep (one entry per job) takes most of what leaves in
 * enqueue order, as retention by count removes it.
 */
const SWEEP_PER_JOB = 2;
/**
 * Most log entries one write asks the cursor sweep for: bounds what one script call reads and
 * hands back, whatever the batch (a bulk, or a burst of single jobs).
 */
const MAX_WINDOW = 2000; // keep in step with windowFor's comment
/** Most log entries one write asks the head sweep for (pruned in one call). */
const MAX_HEAD_WINDOW = 1000;
/** Most entries one prune call checks (a cursor window is pruned in calls of this size). */
const PRUNE_CHUNK = 500;

/**
 * Conveyor's search index of job business keys, written at enqueue and following retention.
 *
 * Per queue (all keys under the queue's key, in its slot):
 * - one sorted set of value entries (`search:values`, `searchValueEntry`: key, value, score, job
 *   id), read newest first by lexical range by `searchJobs`; a job's tenant has none when its
 *   orgId or team_id holds the same value (`entryKeys`), whose entry a search by tenant reads;
 * - a log of every indexed job in enqueue order (`search:log`) and what each was indexed under
 *   (`search:keys`), so an entry can be removed once its job is gone;
 * - a sweep cursor (`search:cursor`) and the head sweep's floor (`search:floor`).
 *
 * Responsibilities:
 * - index jobs in the same round trip as their `add`: a bulk in its transaction (only the jobs
 *   it stored), single jobs with one script call per turn of the event loop (the `JobStore`
 *   writes the entries of the jobs it stores itself, with {@link windowFor} and
 *   {@link sweepAfter});
 * - follow retention without a timer: BullMQ removes completed and failed jobs inside its own
 *   scripts, with no event, so every {@link SearchIndexOptions.sweepEvery} jobs the index script
 *   also hands back entries of the log (same round trip), and a prune call behind the answer
 *   drops those whose job is gone: two per job enqueued from a cursor that walks the log round
 *   and round (whatever order jobs leave in, the log stays under twice what the queue retains),
 *   and one from the log's head, past the long-lived jobs there (retention by count removes
 *   jobs in about enqueue order: the head sweep keeps the log near what is retained). Readers
 *   drop entries of removed jobs they meet too;
 * - the index of a queue not written for its longest retention expires.
 */
export class SearchIndex {
  readonly #sweepEvery: number;
  readonly #graceMs: number;
  readonly #longLivedMs: number;
  readonly #onError: (error: Error, queueKey: string) => void;
  /** Jobs indexed per queue since its last sweep, by this process. */
  readonly #sinceSweep = new Map<string, number>();
  /** Single jobs waiting for the end of this turn of the event loop, per queue. */
  readonly #batches = new Map<string, PendingBatch>();
  #sequence = 0;

  constructor(options: SearchIndexOptions = {}) {
    this.#sweepEvery = options.sweepEvery ?? 32;
    this.#graceMs = options.graceMs ?? 5000;
    this.#longLivedMs = options.longLivedMs ?? 30_000;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Queues the index write of `jobs` on `transaction` (a MULTI or pipeline of `client`), after
   * their adds. Call the returned function with the command's reply once it has run: it loads
   * the script and writes again when Redis did not hold it, and starts the sweep the reply asks
   * for, behind the answer. The jobs are stored whatever it answers: an index write that failed
   * is reported to `onError`, not thrown.
   */
  queue(
    client: RedisConnection,
    transaction: ChainableCommander,
    queueKey: string,
    jobs: readonly IndexedJob[],
    ttlMs: number,
  ): (error: Error | null, reply: unknown) => Promise<void> {
    const window = this.windowFor(queueKey, jobs.length);
    const args = this.#indexArgs(queueKey, jobs, ttlMs, window, true);
    transaction.evalsha(INDEX.sha, ...args);
    return async (error, reply) => {
      let written = reply;
      try {
        // Redis does not hold the script yet (first use on this node, or after a restart): index
        // on its own, before the answer (the index script checks the jobs exist).
        if (isNoScript(error)) written = await INDEX.run(client, args);
        else if (error) throw error;
      } catch (failed) {
        this.#onError(failed as Error, queueKey);
        return;
      }
      this.sweepAfter(client, queueKey, written);
    };
  }

  /** {@link queue} as the extra commands of an `addBulkAtomically` of these jobs. */
  alongside(
    client: RedisConnection,
    queueKey: string,
    jobs: readonly IndexedJob[],
    ttlMs: number,
  ): AlongsideAdds {
    return (transaction) => {
      const done = this.queue(client, transaction, queueKey, jobs, ttlMs);
      return ([reply]) => done(reply?.[0] ?? null, reply?.[1]);
    };
  }

  /**
   * Indexes `jobs` on their own: those already stored (`stored: true`), or, with `stored: false`,
   * jobs whose `add` is in flight on the same connection (both share one round trip; an entry
   * may be written just before its job). An entry of an `add` that then stored nothing is skipped
   * by readers and dropped by the sweep.
   */
  async write(
    client: RedisConnection,
    queueKey: string,
    jobs: readonly IndexedJob[],
    options: { ttlMs: number; stored: boolean },
  ): Promise<void> {
    const window = this.windowFor(queueKey, jobs.length);
    const args = this.#indexArgs(queueKey, jobs, options.ttlMs, window, options.stored);
    const reply = await INDEX.run(client, args);
    this.sweepAfter(client, queueKey, reply);
  }

  /**
   * Indexes a job whose `add` is being sent, together with the other jobs of the queue indexed
   * in the same turn of the event loop: one script call for every enqueue that arrived together
   * (under load, several HTTP requests are read in one turn). Resolves once written; never
   * rejects (a failed write is reported to `onError`: the job is stored regardless).
   */
  writeSoon(
    client: RedisConnection,
    queueKey: string,
    job: IndexedJob,
    ttlMs: number,
  ): Promise<void> {
    let batch = this.#batches.get(queueKey);
    if (batch === undefined || batch.client !== client) {
      const created: PendingBatch = { client, jobs: [], ttlMs: 0, done: Promise.resolve() };
      created.done = new Promise<void>((resolve) => {
        atTurnEnd(() => {
          if (this.#batches.get(queueKey) === created) this.#batches.delete(queueKey);
          this.write(client, queueKey, created.jobs, { ttlMs: created.ttlMs, stored: false })
            .catch((error: Error) => this.#onError(error, queueKey))
            .finally(resolve);
        });
      });
      this.#batches.set(queueKey, created);
      batch = created;
    }
    batch.jobs.push(job);
    batch.ttlMs = Math.max(batch.ttlMs, ttlMs);
    return batch.done;
  }

  /** The score below which an entry is old enough to be dropped once its job is gone. */
  dropBefore(now = Date.now()): number {
    return (now - this.#graceMs) * 1000;
  }

  /** True when an entry of this score is old enough to be dropped once its job is gone. */
  droppable(score: number, now = Date.now()): boolean {
    return score < this.dropBefore(now);
  }

  /**
   * Removes the entries of these jobs whose job hash is gone; returns how many. What readers
   * call for the removed jobs they meet. `atHead`: the candidates are the head sweep's, in log
   * order (they move its floor past the long-lived jobs they start with).
   */
  async prune(
    client: RedisConnection,
    queueKey: string,
    candidates: readonly IndexedJob[],
    atHead = false,
  ): Promise<number> {
    if (candidates.length === 0) return 0;
    const keys = indexKeys(queueKey);
    const args: (string | number)[] = [
      candidates.length,
      atHead ? 1 : 0,
      (Date.now() - this.#longLivedMs) * 1000,
    ];
    for (const { id, keys: values } of candidates) {
      keys.push(jobKeyOf(queueKey, id));
      args.push(id);
      pushValuePrefixes(args, values, 'prune');
    }
    return Number(await PRUNE.run(client, [keys.length, ...keys, ...args]));
  }

  /** The next score: enqueue time in ms, times 1,000, plus a sequence, so scores rarely tie. */
  nextScore(now = Date.now()): number {
    this.#sequence = (this.#sequence + 1) % 1000;
    return now * 1000 + this.#sequence;
  }

  /**
   * The sweep windows a write of `jobs` entries into `queueKey` asks for: none most of the time,
   * once every {@link SearchIndexOptions.sweepEvery} jobs two entries per job since the last
   * sweep from the cursor (at most 2,000 however many jobs the write carries) and one from the
   * head (at most 1,000). For a script that writes entries itself; hand its `writeSweep` reply
   * to {@link sweepAfter}.
   */
  windowFor(queueKey: string, jobs: number): SweepWindow {
    // A process's first write asks for a window: it gives the log its time to live.
    const since = (this.#sinceSweep.get(queueKey) ?? this.#sweepEvery) + jobs;
    if (since < this.#sweepEvery) {
      this.#sinceSweep.set(queueKey, since);
      return NO_SWEEP;
    }
    this.#sinceSweep.set(queueKey, 0);
    return {
      cursor: Math.min(SWEEP_PER_JOB * since, MAX_WINDOW),
      head: Math.min(since, MAX_HEAD_WINDOW),
    };
  }

  /**
   * Tells the index a write that asked for a sweep window ({@link windowFor}) failed: the next
   * write of the queue asks for one again.
   */
  sweepMissed(queueKey: string): void {
    this.#sinceSweep.delete(queueKey);
  }

  #indexArgs(
    queueKey: string,
    jobs: readonly IndexedJob[],
    ttlMs: number,
    window: SweepWindow,
    stored: boolean,
  ): [number, ...(string | number)[]] {
    const keys = indexKeys(queueKey);
    const now = Date.now();
    const args: (string | number)[] = [
      Math.ceil(ttlMs),
      window.cursor,
      window.head,
      this.dropBefore(now),
      jobs.length,
      stored ? 1 : 0,
    ];
    for (const { id, keys: values } of jobs) {
      keys.push(jobKeyOf(queueKey, id));
      args.push(id, searchScoreText(this.nextScore(now)), JSON.stringify(values));
      pushValuePrefixes(args, values);
    }
    return [keys.length, ...keys, ...args];
  }

  /**
   * Starts the prune of the log entries a write handed back (`writeSweep`'s cursor and head
   * entries, id and keys JSON pairs, all old enough to drop: {@link dropBefore}), behind the
   * answer; a failure goes to `onError`.
   */
  sweepAfter(client: RedisConnection, queueKey: string, reply: unknown): void {
    if (!Array.isArray(reply) || reply.length < 2) return;
    const [fromCursor, fromHead] = reply.map(candidatesOf);
    const failed = (error: Error) => this.#onError(error, queueKey);
    if (fromHead && fromHead.length > 0) {
      this.prune(client, queueKey, fromHead, true).catch(failed);
    }
    if (!fromCursor) return;
    for (let start = 0; start < fromCursor.length; start += PRUNE_CHUNK) {
      this.prune(client, queueKey, fromCursor.slice(start, start + PRUNE_CHUNK)).catch(failed);
    }
  }
}

/** The log entries a sweep handed back, from its id and keys JSON pairs. */
function candidatesOf(pairs: unknown): IndexedJob[] {
  const candidates: IndexedJob[] = [];
  if (!Array.isArray(pairs)) return candidates;
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    candidates.push({ id: String(pairs[index]), keys: parseKeys(pairs[index + 1]) });
  }
  return candidates;
}

/** The keys every index script takes first: log, entries, cursor, values set, head floor. */
function indexKeys(queueKey: string): string[] {
  return [
    searchLogKey(queueKey),
    searchEntriesKey(queueKey),
    searchCursorKey(queueKey),
    searchValuesKey(queueKey),
    searchHeadFloorKey(queueKey),
  ];
}

/**
 * Appends to a script's arguments the value count and value prefixes (`searchValuePrefix`) of a
 * job's `keys`, as every script that writes or prunes value entries takes them: those
 * {@link entryKeys} gives for a write, every key for a prune (so that entries written before a
 * tenant could be implied go too).
 */
export function pushValuePrefixes(
  args: (string | number)[],
  keys: SearchKeys,
  use: 'write' | 'prune' = 'write',
): void {
  const names = use === 'write' ? entryKeys(keys) : Object.keys(keys);
  args.push(names.length);
  for (const key of names) args.push(searchValuePrefix(key, keys[key] as string));
}

/** The keys JSON of an entry ({} when absent or unreadable). */
export function parseKeys(value: unknown): SearchKeys {
  if (typeof value !== 'string' || value === '') return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as SearchKeys) : {};
  } catch {
    return {};
  }
}

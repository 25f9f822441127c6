import type { RedisConnection } from '@conveyor/redis';
import { type DeadLetterData, deadLetterId } from '../dead-letter-queue.js';
import { InvalidSearchCursorError } from '../errors/invalid-search-cursor-error.js';
import { UnknownSearchKeyError } from '../errors/unknown-search-key-error.js';
import {
  BULLMQ_JOB_STATES,
  JOB_ENDINGS,
  type JobEndingRecord,
  reportedState,
} from '../job-state.js';
import { deadLetterQueueName, QUEUE_NAMES, type QueueName } from '../queue-catalog.js';
import {
  jobKeyOf,
  queueKeyOf,
  SEARCH_SCORE_DIGITS,
  searchEntriesKey,
  searchScoreText,
  searchValuePrefix,
  searchValuesKey,
} from '../redis-keys.js';
import { SEARCH_READ_SCRIPT, SEARCH_READ_STRIDE } from '../scripts/search-read.js';
import { LuaScript } from './lua-script.js';
import { type GuessedCandidate, PageGuesses } from './page-guesses.js';
import { parseKeys, SearchIndex } from './search-index.js';
import {
  idempotencySearchValue,
  isSearchKeyOf,
  MAX_SEARCH_VALUE_LENGTH,
  type SearchKeys,
  tenantStandIns,
  validSearchKeys,
} from './search-keys.js';

/** States a search can be narrowed to: BullMQ's and Conveyor's endings. */
export const SEARCH_STATES = [...BULLMQ_JOB_STATES, ...JOB_ENDINGS] as const;
export type SearchState = (typeof SEARCH_STATES)[number];

/** Most jobs one page answers. */
export const MAX_SEARCH_LIMIT = 100;
/** Jobs one page answers when the query names no limit. */
export const DEFAULT_SEARCH_LIMIT = 20;
/**
 * Most index entries one call looks at: with a filter that few matches pass, a page stops
 * there and answers what it found with a `next` cursor, so a call costs a bounded amount.
 */
const MAX_EXAMINED = 1000;

/** One search. */
export interface SearchQuery {
  /** A catalog search key (`documentId`, `event_id`, ...) or `id`, `tenant`, `idempotencyKey`. */
  key: string;
  value: string;
  /** Only this queue (and its dead letters). @defaultValue every queue in `queues` */
  queue?: QueueName | undefined;
  /** Only jobs in this state now (a dead letter is `failed` or `expired`). @defaultValue any */
  state?: SearchState | undefined;
  /**
   * Only jobs of these tenants (a client's tenant scopes); a job without a tenant is left out.
   * @defaultValue every tenant
   */
  tenants?: ReadonlySet<string> | undefined;
  /** Jobs per page, 1 to {@link MAX_SEARCH_LIMIT}. @defaultValue {@link DEFAULT_SEARCH_LIMIT} */
  limit?: number | undefined;
  /** The `next` of the previous page. @defaultValue the newest jobs */
  cursor?: string | undefined;
  /** The queues the caller may read. @defaultValue every catalog queue */
  queues?: readonly QueueName[] | undefined;
  /**
   * The client whose `Idempotency-Key` is searched: keys are scoped per client, so a search
   * finds only the jobs its client sent with that key.
   * @defaultValue unscoped (jobs stored with no client)
   */
  client?: string | undefined;
}

/** A job a search found. */
export interface FoundJob {
  /** The catalog queue (for a dead letter, the queue it died in). */
  queue: QueueName;
  /** The job's id (for a dead letter, the dead letter's id, which replays it). */
  id: string;
  name: string;
  state: SearchState;
  tenant: string | null;
  /** The business keys it was indexed under (an idempotency key only when searched by it). */
  keys: Record<string, string>;
  /** ISO time it was enqueued (a dead letter: recorded). */
  createdAt: string;
  finishedAt?: string;
  failedReason?: string;
  deadLetter: boolean;
  /** A dead letter's origin job id. */
  originJobId?: string;
}

/** One page of a search, newest first. */
export interface SearchPage {
  jobs: FoundJob[];
  /** Pass as `cursor` for the next page; absent on the last one. */
  next?: string;
}

/** Where a search looks: one queue or dead-letter queue of one queue. */
interface Source {
  queue: QueueName;
  deadLetter: boolean;
  /** The BullMQ queue's key; also what orders sources with equal scores. */
  queueKey: string;
}

/** A place in the order of results: newest score first, then source key, then id descending. */
interface Position {
  score: number;
  /** The source's queue key. */
  queueKey: string;
  id: string;
}

/** An index entry read: its own place in the order of results. */
interface Candidate extends Position {
  source: Source;
}

/** True when `a` comes before `b` in the results. */
function precedes(a: Position, b: Position): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.queueKey !== b.queueKey) return a.queueKey < b.queueKey;
  return a.id > b.id;
}

function samePosition(a: Position, b: Position): boolean {
  return a.score === b.score && a.queueKey === b.queueKey && a.id === b.id;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.score, position.queueKey, position.id])).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): Position {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string' &&
      typeof value[2] === 'string'
    ) {
      return { score: value[0] as number, queueKey: value[1], id: value[2] };
    }
  } catch {
    // Reported below.
  }
  throw new InvalidSearchCursorError();
}

const READ_SCRIPT = new LuaScript(SEARCH_READ_SCRIPT);

/** Readers' own pruning of entries whose job is gone (no sweep state is touched). */
const readerIndex = new SearchIndex();

/** What recent searches of this process read first, read again beside their ranges. */
const pageGuesses = new PageGuesses();

/**
 * Finds jobs by a business key, newest first, dead letters included (`deadLetter: true`). What
 * `GET /v1/search` and the dashboard's console answer.
 *
 * Cost is in the matches, not the queue: one sorted-set range per searched queue and dead-letter
 * queue, sent together, then one script that reads every match of the page (its state from the
 * sorted sets and its lock): two round trips for a page. A search this process answered before
 * sends that script for the matches its last page read first without waiting for the ranges'
 * replies ({@link PageGuesses}): one round trip while they are still the first matches. Entries whose
 * job retention removed are skipped and dropped from the index. A `state` or `tenants` filter that few matches pass stops
 * a page after {@link MAX_EXAMINED} entries, answering what it found and a `next`. The cursor is a position in the order of results, so jobs added
 * meanwhile (newer) do not shift later pages.
 * @throws UnknownSearchKeyError for a key the searched queues are not indexed by
 * @throws InvalidSearchCursorError for a cursor no search answered
 */
export async function searchJobs(
  connection: RedisConnection,
  prefix: string,
  query: SearchQuery,
): Promise<SearchPage> {
  const readable = query.queues ?? QUEUE_NAMES;
  const queues = query.queue === undefined ? readable : readable.filter((q) => q === query.queue);
  const keyQueues = query.queue === undefined ? QUEUE_NAMES : [query.queue];
  if (!keyQueues.some((queue) => isSearchKeyOf(queue, query.key))) {
    const valid =
      query.queue === undefined
        ? validSearchKeys()
        : validSearchKeys().filter((key) => isSearchKeyOf(query.queue as QueueName, key));
    throw new UnknownSearchKeyError(query.key, valid);
  }
  const limit = Math.min(
    Math.max(1, Math.floor(query.limit ?? DEFAULT_SEARCH_LIMIT)),
    MAX_SEARCH_LIMIT,
  );
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const sources = queues
    .filter((queue) => isSearchKeyOf(queue, query.key))
    .flatMap((queue): Source[] => [
      { queue, deadLetter: false, queueKey: queueKeyOf(prefix, queue) },
      { queue, deadLetter: true, queueKey: queueKeyOf(prefix, deadLetterQueueName(queue)) },
    ]);
  if (
    sources.length === 0 ||
    query.value.length === 0 ||
    query.value.length > MAX_SEARCH_VALUE_LENGTH ||
    query.value.includes('\0')
  ) {
    return { jobs: [] };
  }
  const echoed: Record<string, string> =
    query.key === 'idempotencyKey' ? { idempotencyKey: query.value } : {};
  if (query.key === 'id') {
    const wanted = (job: FoundJob) => matches(job, query.state, query.tenants);
    return { jobs: await findById(connection, sources, query.value, wanted, limit) };
  }
  const indexed =
    query.key === 'idempotencyKey'
      ? idempotencySearchValue(query.value, query.client)
      : query.value;
  const valuePrefix = searchValuePrefix(query.key, indexed);
  const readers = sources.map((source) => new SourceReader(source, valuePrefix, after));
  if (query.key === 'tenant') {
    // Jobs whose tenant is their value under a tenant search key have no tenant entry.
    for (const source of sources) {
      for (const key of tenantStandIns(source.queue)) {
        readers.push(new SourceReader(source, searchValuePrefix(key, query.value), after));
      }
    }
  }
  const filtered = query.state !== undefined || query.tenants !== undefined;
  const tenant = query.key === 'tenant' ? query.value : undefined;
  return page(connection, readers, {
    limit,
    filtered,
    wanted: (job) =>
      (tenant === undefined || job.tenant === tenant) && matches(job, query.state, query.tenants),
    echoed,
    // What decides the first candidates picked (not the filters, applied after the read).
    search: JSON.stringify([
      limit,
      filtered,
      query.cursor ?? null,
      readers.map((reader) => reader.valuesKey),
      valuePrefix,
    ]),
  });
}

/** Reads one source's matches in result order, a batch at a time, from a position. */
class SourceReader {
  buffer: Candidate[] = [];
  exhausted = false;

  #after: Position | undefined;

  readonly valuesKey: string;
  readonly #prefix: string;

  constructor(
    readonly source: Source,
    prefix: string,
    after: Position | undefined,
  ) {
    this.valuesKey = searchValuesKey(source.queueKey);
    this.#prefix = prefix;
    this.#after = after;
  }

  /** Refills the buffer with the next matches after the last one read (or the cursor). */
  async fill(connection: RedisConnection, size: number): Promise<void> {
    let count = size;
    for (;;) {
      const prefix = this.#prefix;
      // Entries of scores up to the position's (ties included: `precedes` sorts them out); a
      // score's digits sort before ':', so `(prefix:` is past every entry of the value.
      const max =
        this.#after === undefined
          ? `(${prefix}:`
          : `(${prefix}${searchScoreText(Math.floor(this.#after.score) + 1)}`;
      const reply = await connection.zrevrangebylex(
        this.valuesKey,
        max,
        `[${prefix}`,
        'LIMIT',
        0,
        count,
      );
      const items: Candidate[] = [];
      for (const entry of reply) {
        const at = prefix.length + SEARCH_SCORE_DIGITS;
        items.push({
          source: this.source,
          queueKey: this.source.queueKey,
          id: entry.slice(at),
          score: Number(entry.slice(prefix.length, at)),
        });
      }
      const after = this.#after;
      const fresh = after === undefined ? items : items.filter((c) => precedes(after, c));
      if (items.length < count) this.exhausted = true;
      if (fresh.length > 0 || this.exhausted) {
        this.buffer = fresh;
        const last = fresh.at(-1);
        if (last) this.#after = last;
        return;
      }
      // Every entry read ties with the position and was read before: read further.
      count *= 2;
    }
  }
}

async function page(
  connection: RedisConnection,
  readers: SourceReader[],
  options: {
    limit: number;
    /** True when `wanted` may refuse jobs: pages then read ahead in larger steps. */
    filtered: boolean;
    wanted: (job: FoundJob) => boolean;
    echoed: Record<string, string>;
    /** The search, as {@link PageGuesses} knows it. */
    search: string;
  },
): Promise<SearchPage> {
  const { limit, filtered, wanted: isWanted } = options;
  const jobs: FoundJob[] = [];
  let examined = 0;
  let last: Position | undefined;
  let leftOver = false;
  let guess = guessedCandidates(readers, pageGuesses.get(options.search));
  while (jobs.length < limit && examined < MAX_EXAMINED) {
    const step = Math.min(
      Math.max(limit - jobs.length, filtered ? 20 : 1),
      MAX_EXAMINED - examined,
    );
    // The ranges leave first, then the guess's read, without waiting for their replies.
    const picking = pick(connection, readers, step, limit + 1);
    const early = guess === undefined ? undefined : readCandidates(connection, guess);
    // Awaited below only if the guess holds; a failure is then the page's.
    early?.catch(() => {});
    const picked = await picking;
    if (examined === 0) pageGuesses.remember(options.search, toGuess(readers, picked));
    if (picked.length === 0) break;
    examined += picked.length;
    const found =
      early !== undefined && guess !== undefined && sameCandidates(guess, picked)
        ? toJobs(connection, picked, await early, options.echoed)
        : await resolve(connection, picked, options.echoed);
    guess = undefined;
    for (const [index, candidate] of picked.entries()) {
      // Two readers of one source meet the same job only through entries written before its
      // tenant entry could be implied (`entryKeys`): their merge puts the two side by side.
      const twice = last !== undefined && samePosition(last, candidate);
      last = candidate;
      const job = found[index];
      if (job && !twice && isWanted(job)) jobs.push(job);
      if (jobs.length === limit) {
        leftOver = index < picked.length - 1;
        break;
      }
    }
  }
  const more = leftOver || readers.some((reader) => reader.buffer.length > 0 || !reader.exhausted);
  return more && last !== undefined ? { jobs, next: encodeCursor(last) } : { jobs };
}

/** The candidates of a remembered guess, as this search's sources know them. */
function guessedCandidates(
  readers: readonly SourceReader[],
  guess: readonly GuessedCandidate[] | undefined,
): Candidate[] | undefined {
  if (guess === undefined) return undefined;
  const candidates: Candidate[] = [];
  for (const { source: place, id } of guess) {
    const source = readers[place]?.source;
    if (source === undefined) return undefined;
    candidates.push({ source, queueKey: source.queueKey, id, score: 0 });
  }
  return candidates;
}

/** `picked` as {@link PageGuesses} remembers it. */
function toGuess(
  readers: readonly SourceReader[],
  picked: readonly Candidate[],
): GuessedCandidate[] {
  const places = new Map(readers.map((reader, place) => [reader.source, place]));
  return picked.map(({ source, id }) => ({ source: places.get(source) ?? -1, id }));
}

/** True when `a` and `b` are the same candidates in the same order. */
function sameCandidates(a: readonly Candidate[], b: readonly Candidate[]): boolean {
  return (
    a.length === b.length &&
    a.every((candidate, index) => {
      const other = b[index] as Candidate;
      return candidate.source === other.source && candidate.id === other.id;
    })
  );
}

/** The next `count` matches across sources, in result order. */
async function pick(
  connection: RedisConnection,
  readers: SourceReader[],
  count: number,
  batch: number,
): Promise<Candidate[]> {
  const picked: Candidate[] = [];
  while (picked.length < count) {
    const empty = readers.filter((reader) => reader.buffer.length === 0 && !reader.exhausted);
    if (empty.length > 0) await Promise.all(empty.map((reader) => reader.fill(connection, batch)));
    let best: SourceReader | undefined;
    for (const reader of readers) {
      const head = reader.buffer[0];
      const bestHead = best?.buffer[0];
      if (head && (!bestHead || precedes(head, bestHead))) best = reader;
    }
    const next = best?.buffer.shift();
    if (next === undefined) break;
    picked.push(next);
  }
  return picked;
}

/** Where each value {@link SEARCH_READ_SCRIPT} answers for a candidate is, from its first. */
const READ = {
  state: 0,
  name: 1,
  timestamp: 2,
  finishedOn: 3,
  failedReason: 4,
  extra: 5,
  ending: 6,
  indexed: 7,
} as const;

/** A value {@link SEARCH_READ_SCRIPT} answers: false for none (Lua's false, as cjson writes it). */
type ReadValue = string | false;

const iso = (epochMs: ReadValue | undefined) =>
  epochMs && Number(epochMs) > 0 ? new Date(Number(epochMs)).toISOString() : undefined;

/**
 * Reads each candidate's job, state and indexed keys in one script call (one round trip and one
 * reply for the whole page); undefined for a job that is gone, whose entries are then dropped
 * behind the answer.
 */
async function resolve(
  connection: RedisConnection,
  candidates: readonly Candidate[],
  echoed: Record<string, string>,
): Promise<(FoundJob | undefined)[]> {
  if (candidates.length === 0) return [];
  return toJobs(connection, candidates, await readCandidates(connection, candidates), echoed);
}

/** Sends {@link SEARCH_READ_SCRIPT} for `candidates` (none: not empty) and resolves with its reply. */
async function readCandidates(
  connection: RedisConnection,
  candidates: readonly Candidate[],
): Promise<ReadValue[]> {
  const places = new Map<Source, number>();
  const keys: string[] = [];
  const args: string[] = [];
  for (const { source, id } of candidates) {
    let place = places.get(source);
    if (place === undefined) {
      place = places.size + 1;
      places.set(source, place);
    }
    args.push(String(place), id, source.deadLetter ? 'data' : 'name');
  }
  for (const { queueKey } of places.keys()) {
    keys.push(
      `${queueKey}:completed`,
      `${queueKey}:failed`,
      `${queueKey}:delayed`,
      `${queueKey}:prioritized`,
      `${queueKey}:waiting-children`,
      searchEntriesKey(queueKey),
    );
  }
  for (const { source, id } of candidates) {
    const job = jobKeyOf(source.queueKey, id);
    keys.push(job, `${job}:lock`, `${source.queueKey}:ended:${id}`);
  }
  const reply = await READ_SCRIPT.run(connection, [
    keys.length,
    ...keys,
    String(places.size),
    ...args,
  ]);
  return JSON.parse(reply as string) as ReadValue[];
}

/** The jobs of `candidates` from {@link readCandidates}'s `reply`; drops the entries of those gone. */
function toJobs(
  connection: RedisConnection,
  candidates: readonly Candidate[],
  reply: readonly ReadValue[],
  echoed: Record<string, string>,
): (FoundJob | undefined)[] {
  const gone: { candidate: Candidate; keys: SearchKeys }[] = [];
  const jobs = candidates.map((candidate, index) => {
    const at = index * SEARCH_READ_STRIDE;
    const indexed = parseKeys(reply[at + READ.indexed]);
    const job =
      typeof reply[at + READ.state] === 'string'
        ? toFoundJob(candidate, reply, at, indexed, echoed)
        : undefined;
    if (job === undefined) gone.push({ candidate, keys: indexed });
    return job;
  });
  dropGone(connection, gone);
  return jobs;
}

function toFoundJob(
  candidate: Candidate,
  reply: readonly ReadValue[],
  at: number,
  indexed: SearchKeys,
  echoed: Record<string, string>,
): FoundJob | undefined {
  const name = reply[at + READ.name];
  const createdAt = iso(reply[at + READ.timestamp]);
  if (typeof name !== 'string' || createdAt === undefined) return undefined;
  // The tenant has a field of its own; an idempotency key is shown only as searched (echoed).
  const keys: Record<string, string> = {};
  for (const key in indexed) {
    if (key !== 'tenant' && key !== 'idempotencyKey') keys[key] = indexed[key] as string;
  }
  Object.assign(keys, echoed);
  const job: FoundJob = {
    queue: candidate.source.queue,
    id: candidate.id,
    name,
    state: 'waiting',
    tenant: indexed.tenant ?? null,
    keys,
    createdAt,
    deadLetter: candidate.source.deadLetter,
  };
  if (candidate.source.deadLetter) {
    const letter = parseJson(reply[at + READ.extra]) as Partial<DeadLetterData> | undefined;
    job.name = letter?.name ?? name;
    job.state = letter?.reason === 'expired' ? 'expired' : 'failed';
    if (letter?.failedAt) job.finishedAt = letter.failedAt;
    if (letter?.failedReason) job.failedReason = letter.failedReason;
    if (letter?.jobId) job.originJobId = letter.jobId;
    return job;
  }
  const bullState = reply[at + READ.state] || 'waiting';
  const ended =
    bullState === 'failed'
      ? (parseJson(reply[at + READ.ending]) as JobEndingRecord | undefined)
      : undefined;
  // A job waiting its tenant's turn sits in BullMQ's prioritized set: reported as waiting.
  job.state = ended?.state ?? (reportedState(bullState) as SearchState);
  const finishedAt = iso(reply[at + READ.finishedOn]);
  if (finishedAt) job.finishedAt = finishedAt;
  const failedReason = reply[at + READ.failedReason];
  if (failedReason) job.failedReason = failedReason;
  return job;
}

function parseJson(text: ReadValue | undefined): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Drops the entries of jobs retention removed (best effort: a read-only caller just skips them). */
function dropGone(
  connection: RedisConnection,
  gone: readonly { candidate: Candidate; keys: SearchKeys }[],
): void {
  const bySource = new Map<string, { id: string; keys: SearchKeys }[]>();
  const now = Date.now();
  for (const { candidate, keys } of gone) {
    // A single enqueue writes its entry just before its job: a young entry may be on its way.
    if (candidate.score > 0 && !readerIndex.droppable(candidate.score, now)) continue;
    const list = bySource.get(candidate.source.queueKey) ?? [];
    list.push({ id: candidate.id, keys });
    bySource.set(candidate.source.queueKey, list);
  }
  for (const [queueKey, list] of bySource) {
    readerIndex.prune(connection, queueKey, list).catch(() => {});
  }
}

/** True when `job` is in `state` and of one of `tenants` (each when given). */
function matches(
  job: FoundJob,
  state: SearchState | undefined,
  tenants: ReadonlySet<string> | undefined,
): boolean {
  if (state !== undefined && job.state !== state) return false;
  return tenants === undefined || (job.tenant !== null && tenants.has(job.tenant));
}

/** A search by job id: the job in each queue searched, and its dead letter. */
async function findById(
  connection: RedisConnection,
  sources: readonly Source[],
  id: string,
  wanted: (job: FoundJob) => boolean,
  limit: number,
): Promise<FoundJob[]> {
  const candidates = sources.flatMap((source): Candidate[] => {
    const ids = source.deadLetter ? [...new Set([id, deadLetterId(source.queue, id)])] : [id];
    return ids.map((each) => ({ source, queueKey: source.queueKey, id: each, score: 0 }));
  });
  const found = await resolve(connection, candidates, {});
  return found
    .filter((job): job is FoundJob => job !== undefined && wanted(job))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, limit);
}

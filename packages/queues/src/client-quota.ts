import type { RedisConnection } from '@conveyor/redis';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';

/** A client's quota, charged by {@link ClientQuota.reserve}. */
export interface QuotaCharge {
  /** The client (API token name) the jobs are counted for. */
  client: string;
  /**
   * Most jobs of this client waiting (or delayed) at once.
   * @defaultValue no limit
   */
  maxJobs?: number;
  /**
   * Most bytes of job data those jobs may hold.
   * @defaultValue no limit
   */
  maxBytes?: number;
  /**
   * How long the client's counts outlive its last enqueue: longer than any job may wait
   * (the API's `MAX_DELAY_MS` plus a margin).
   */
  ttlMs: number;
}

/** One job to count: its queue, the id it will be stored under and its data's size. */
export interface QuotaItem {
  queue: string;
  id: string;
  bytes: number;
}

/** Entries sampled per reservation to forget jobs that started or are gone. */
const SAMPLE = 64;
/** A reserved entry whose job does not exist yet is kept this long (its `add` is under way). */
const PENDING_GRACE_MS = 60_000;

/**
 * KEYS[1] the client's set (member `queue|id|reservedAt`, score bytes), KEYS[2] its byte total.
 * ARGV: prefix, now, maxJobs (-1 none), maxBytes (-1 none), ttl, then member, bytes pairs.
 * First forgets a sample of entries whose job a worker took (`processedOn` set) or that no
 * longer exists, then admits all the new entries or none. Returns { 'ok' } or { which, current }.
 */
const RESERVE_SCRIPT = `
local prefix, now = ARGV[1], tonumber(ARGV[2])
local maxJobs, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[4])
local sample = redis.call('ZRANDMEMBER', KEYS[1], ${SAMPLE}, 'WITHSCORES')
for i = 1, #sample, 2 do
  local member = sample[i]
  local queue, id, at = string.match(member, '^(.-)|(.*)|(%d+)$')
  local gone = true
  if queue then
    local key = prefix .. ':' .. queue .. ':' .. id
    if redis.call('EXISTS', key) == 1 then
      gone = redis.call('HEXISTS', key, 'processedOn') == 1
    else
      gone = now - tonumber(at) > ${PENDING_GRACE_MS}
    end
  end
  if gone and redis.call('ZREM', KEYS[1], member) == 1 then
    redis.call('DECRBY', KEYS[2], sample[i + 1])
  end
end
local jobs = redis.call('ZCARD', KEYS[1])
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
local addJobs, addBytes = 0, 0
for i = 6, #ARGV, 2 do
  addJobs = addJobs + 1
  addBytes = addBytes + tonumber(ARGV[i + 1])
end
if maxJobs >= 0 and jobs + addJobs > maxJobs then return { 'jobs', jobs } end
if maxBytes >= 0 and bytes + addBytes > maxBytes then return { 'bytes', bytes } end
for i = 6, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) end
redis.call('INCRBY', KEYS[2], addBytes)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return { 'ok', 0 }
`;

/** KEYS as above; ARGV member, bytes pairs: un-counts entries whose jobs were not stored. */
const RELEASE_SCRIPT = `
for i = 1, #ARGV, 2 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[i + 1]) end
end
return 0
`;

/** Jobs counted by {@link ClientQuota.reserve}; `release` un-counts those that were not stored. */
export interface QuotaReservation {
  /** Un-counts the jobs with these ids (deduplicated or failed). Never throws. */
  release(ids: readonly string[]): void;
}

/**
 * Per-client quotas of jobs waiting and bytes they hold, counted in Redis across every API
 * process without help from the workers: each admitted job is an entry in the client's set,
 * and every reservation first forgets a sample of entries whose job a worker has taken (or that
 * no longer exists). So counts can run high (never low) by jobs already taken but not yet
 * sampled, and each attempt of a client at its limit frees what its sample finds: a client is
 * never refused for long after workers caught up. One round trip per enqueue, for clients with a
 * quota only.
 */
export class ClientQuota {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;
  constructor(connection: RedisConnection, prefix: string, now: () => number = Date.now) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#now = now;
  }

  /**
   * Counts `items` for `charge.client`, all or none.
   * @throws QuotaExceededError when they do not fit.
   */
  async reserve(charge: QuotaCharge, items: readonly QuotaItem[]): Promise<QuotaReservation> {
    const keys = this.#keys(charge.client);
    const now = this.#now();
    const entries = items.map((item) => ({
      id: item.id,
      member: `${item.queue}|${item.id}|${now}`,
      bytes: item.bytes,
    }));
    const [verdict, current] = (await this.#connection.eval(
      RESERVE_SCRIPT,
      2,
      ...keys,
      this.#prefix,
      now,
      charge.maxJobs ?? -1,
      charge.maxBytes ?? -1,
      charge.ttlMs,
      ...entries.flatMap((entry) => [entry.member, entry.bytes]),
    )) as [string, number];
    if (verdict === 'jobs' || verdict === 'bytes') {
      const limit = (verdict === 'jobs' ? charge.maxJobs : charge.maxBytes) ?? 0;
      throw new QuotaExceededError(charge.client, verdict, limit, Number(current));
    }
    return {
      release: (ids) => {
        const released = entries.filter((entry) => ids.includes(entry.id));
        if (released.length === 0) return;
        // Not awaited: an entry left behind is forgotten once its job is found missing.
        this.#connection
          .eval(
            RELEASE_SCRIPT,
            2,
            ...keys,
            ...released.flatMap((entry) => [entry.member, entry.bytes]),
          )
          .catch(() => {});
      },
    };
  }

  #keys(client: string): [string, string] {
    return [`${this.#prefix}:quota:${client}:jobs`, `${this.#prefix}:quota:${client}:bytes`];
  }
}

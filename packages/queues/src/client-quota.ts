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

/** A member of a client's set: `queue|id|reservedAt`. */
const MEMBER = /^(.*?)\|(.*)\|(\d+)$/;

/**
 * KEYS[1] the client's set (member `queue|id|reservedAt`, score bytes), KEYS[2] its byte total,
 * then the job key of each sampled entry to check. ARGV: now, maxJobs (-1 none), maxBytes (-1
 * none), ttl, the number of sampled entries n, those n members (in the order of their job keys),
 * the number of sampled members m that name no job, those m members, then member, bytes pairs to
 * admit. First forgets the sampled entries whose job a worker took (`processedOn` set) or that
 * no longer exists, then admits all the new entries or none. Every key it touches is in KEYS:
 * the sample is drawn by the previous call and returned for the next one.
 * Returns { 'ok' | 'jobs' | 'bytes', current, next sample... }.
 */
const RESERVE_SCRIPT = `
local set, total = KEYS[1], KEYS[2]
local now, maxJobs, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function forget(member)
  local bytes = redis.call('ZSCORE', set, member)
  if bytes and redis.call('ZREM', set, member) == 1 then redis.call('DECRBY', total, bytes) end
end
local checked = tonumber(ARGV[5])
for i = 1, checked do
  local member, job = ARGV[5 + i], KEYS[2 + i]
  local gone
  if redis.call('EXISTS', job) == 1 then
    gone = redis.call('HEXISTS', job, 'processedOn') == 1
  else
    gone = now - tonumber(string.match(member, '|(%d+)$')) > ${PENDING_GRACE_MS}
  end
  if gone then forget(member) end
end
local base = 6 + checked
local malformed = tonumber(ARGV[base])
for i = 1, malformed do forget(ARGV[base + i]) end
local first = base + malformed + 1
local jobs = redis.call('ZCARD', set)
local bytes = tonumber(redis.call('GET', total) or '0')
local addJobs, addBytes = 0, 0
for i = first, #ARGV, 2 do
  addJobs = addJobs + 1
  addBytes = addBytes + tonumber(ARGV[i + 1])
end
local verdict, current = 'ok', 0
if maxJobs >= 0 and jobs + addJobs > maxJobs then
  verdict, current = 'jobs', jobs
elseif maxBytes >= 0 and bytes + addBytes > maxBytes then
  verdict, current = 'bytes', bytes
else
  for i = first, #ARGV, 2 do redis.call('ZADD', set, ARGV[i + 1], ARGV[i]) end
  redis.call('INCRBY', total, addBytes)
  redis.call('PEXPIRE', set, ARGV[4])
  redis.call('PEXPIRE', total, ARGV[4])
end
local answer = { verdict, current }
for _, member in ipairs(redis.call('ZRANDMEMBER', set, ${SAMPLE})) do
  answer[#answer + 1] = member
end
return answer
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
 * quota only: the sample a reservation checks was drawn by the client's previous one (in this
 * process), so that the script is given every job key it reads.
 */
export class ClientQuota {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;
  /** Per client, the entries its last reservation sampled, to check at its next. */
  readonly #samples = new Map<string, string[]>();
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
    const checked: string[] = [];
    const jobKeys: string[] = [];
    const malformed: string[] = [];
    for (const member of this.#samples.get(charge.client) ?? []) {
      const parsed = MEMBER.exec(member);
      if (parsed === null) {
        malformed.push(member);
      } else {
        checked.push(member);
        jobKeys.push(`${this.#prefix}:${parsed[1]}:${parsed[2]}`);
      }
    }
    const [verdict, current, ...sample] = (await this.#connection.eval(
      RESERVE_SCRIPT,
      2 + jobKeys.length,
      ...keys,
      ...jobKeys,
      now,
      charge.maxJobs ?? -1,
      charge.maxBytes ?? -1,
      charge.ttlMs,
      checked.length,
      ...checked,
      malformed.length,
      ...malformed,
      ...entries.flatMap((entry) => [entry.member, entry.bytes]),
    )) as [string, number, ...string[]];
    // Clients are the configured API clients: a bounded map.
    this.#samples.set(charge.client, sample);
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

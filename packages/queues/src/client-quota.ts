import type { RedisConnection } from '@conveyor/redis';
import { QuotaExceededError } from './errors/quota-exceeded-error.js';
import { bullJobKey, clientQuotaKeys } from './redis-keys.js';
import { RELEASE_QUOTA_SCRIPT, RESERVE_QUOTA_SCRIPT } from './scripts/client-quota.js';

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

/** A member of a client's set: `queue|id|reservedAt`. */
const MEMBER = /^(.*?)\|(.*)\|(\d+)$/;

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
        jobKeys.push(bullJobKey(this.#prefix, parsed[1] ?? '', parsed[2] ?? ''));
      }
    }
    const [verdict, current, ...sample] = (await this.#connection.eval(
      RESERVE_QUOTA_SCRIPT,
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
            RELEASE_QUOTA_SCRIPT,
            2,
            ...keys,
            ...released.flatMap((entry) => [entry.member, entry.bytes]),
          )
          .catch(() => {});
      },
    };
  }

  #keys(client: string): [string, string] {
    return clientQuotaKeys(this.#prefix, client);
  }
}

import type { RedisConnection } from '@conveyor/redis';
import { Job, type Queue } from 'bullmq';
import { tenantKeys } from '../redis-keys.js';
import {
  ADMIT_SCRIPT,
  HEAL_SCRIPT,
  LIMIT_SCRIPT,
  PARK_SCRIPT,
  POP_SCRIPT,
  RELEASE_SCRIPT,
} from '../scripts/tenant-gate.js';
import { jobTenant } from './job-tenant.js';

/** A tenant's rate limit: at most `max` of its jobs start per `duration` milliseconds. */
export interface TenantLimiter {
  max: number;
  duration: number;
}

/** Options for {@link TenantGate}. */
export interface TenantGateOptions {
  /** The worker connection (any role that reaches the queue's Redis). */
  connection: RedisConnection;
  /** The queue the gate admits jobs of (a control `Queue`: keys and `Job.fromId`). */
  queue: Queue;
  /**
   * At most this many jobs of one tenant run at once, across every worker process.
   * @defaultValue no cap
   */
  concurrency?: number;
  /**
   * At most `max` jobs of one tenant start per `duration` ms, across every worker process.
   * @defaultValue no limit
   */
  limiter?: TenantLimiter;
  /**
   * How long a job parked at its tenant's cap waits before it comes back on its own, should the
   * worker that would promote it die first; multiplied by its place among the tenant's parked
   * jobs over the cap, at most an hour. Normally a finishing job promotes it at once.
   * @defaultValue 60000
   */
  parkMs?: number;
  /**
   * With no cap and no rate limit, only a tenant's pause can hold its jobs back: the gate then
   * reads the queue's paused tenants about twice per this many ms while jobs flow, instead of one
   * Redis call per job, without making a job wait for it. A pause set by another worker is seen
   * that much later at worst; a job started in between meets the same 429 and is put back again,
   * without spending an attempt.
   * @defaultValue 200
   */
  pauseViewMs?: number;
}

/** What {@link TenantGate.admit} decided for a job the worker took. */
export type Admission =
  | { admitted: true }
  | {
      admitted: false;
      /** limited: its tenant is paused; rate: over its rate; cap: at its concurrency cap. */
      reason: 'limited' | 'rate' | 'cap';
      /** When the job comes back (epoch ms; for `cap`, at the latest). */
      until: number;
    };

const REASONS = { 1: 'limited', 2: 'rate', 3: 'cap' } as const;
/** The answer for every admitted job, made once. */
const ADMITTED: Admission = Object.freeze({ admitted: true });
const MAX_PARK_MS = 60 * 60 * 1000;

/**
 * Pauses one tenant of a queue: its jobs taken by any worker before `ms` from now go back to
 * the delayed set until then, without spending an attempt; other tenants are not affected.
 * Returns when the pause ends (epoch ms on Redis's clock). What a Slack 429 for one workspace
 * calls; takes effect in workers whose queue has a {@link TenantGate}.
 */
export async function limitTenant(
  connection: RedisConnection,
  queue: Queue,
  tenant: string,
  ms: number,
): Promise<number> {
  const keys = [tenantKeys.limited(queue, tenant), tenantKeys.limitedIndex(queue)];
  const pauseMs = Math.max(1, Math.ceil(ms));
  return Number(await connection.eval(LIMIT_SCRIPT, 2, ...keys, pauseMs, tenant));
}

/**
 * Admits each job a worker took, per its tenant: the tenant's pause ({@link limitTenant}), its
 * concurrency cap and its rate limit, across every worker process, in one round trip for a job
 * admitted (none when the gate has no cap and no limit: pauses are then read at most once per
 * `pauseViewMs`). A job not admitted goes to BullMQ's delayed set without spending an attempt:
 * - paused or over its rate: delayed once, to the end of the pause or to its reserved start
 *   slot (no window of the limiter's duration holds more than its max starts);
 * - at its cap: parked (delayed for long, listed per tenant); each job that ends promotes the
 *   next parked one, so a tenant flooding at its cap costs one park per job, no busy loop.
 *
 * A worker killed while holding slots heals with no timer: when its tenant is at the cap, slots
 * whose BullMQ lock is gone are dropped, and its stalled jobs, taken again, keep their slot.
 * Every key lives in the queue's hash slot; every key a script touches is in its KEYS.
 */
export class TenantGate {
  readonly #connection: RedisConnection;
  readonly #queue: Queue;
  readonly #cap: number;
  readonly #max: number;
  readonly #period: number;
  readonly #parkMs: number;
  readonly #pauseViewMs: number;
  /** Paused tenants -> until (epoch ms), as last read, for a gate with no cap and no limit. */
  #pauses = new Map<string, number>();
  #pausesReadAt = Number.NEGATIVE_INFINITY;
  #pausesRead: Promise<void> | undefined;

  constructor(options: TenantGateOptions) {
    this.#connection = options.connection;
    this.#queue = options.queue;
    this.#cap = options.concurrency ?? 0;
    this.#period = options.limiter?.duration ?? 0;
    this.#max = options.limiter?.max ?? 0;
    this.#parkMs = options.parkMs ?? 60_000;
    this.#pauseViewMs = options.pauseViewMs ?? 200;
  }

  /** True when jobs hold a slot while they run: {@link release} must be called after each. */
  get capped(): boolean {
    return this.#cap > 0;
  }

  /**
   * Decides whether `job` (active, locked by `token`) may run now. When not, it has been moved
   * to the delayed set already: the processor throws BullMQ's DelayedError. Either way the
   * processor calls {@link release} once the job leaves it.
   */
  admit(job: Job, token: string): Admission | Promise<Admission> {
    const tenant = jobTenant(job);
    if (this.#cap === 0 && this.#max === 0) return this.#admitUnlessPaused(job, token, tenant);
    return this.#admitLimited(job, token, tenant);
  }

  async #admitLimited(job: Job, token: string, tenant: string): Promise<Admission> {
    const id = String(job.id);
    let [code, value] = await this.#admit(tenant, id);
    if (code === 3 && (await this.#heal(tenant, id))) [code, value] = await this.#admit(tenant, id);
    if (code === 0) return { admitted: true };
    const reason = REASONS[code as 1 | 2 | 3];
    if (reason === 'cap')
      return { admitted: false, reason, until: await this.#park(job, token, tenant, value) };
    // A slot it may hold (taken when its dead neighbours were dropped) is freed by the caller's
    // release, which every job the processor took gets once, admitted or not.
    await job.moveToDelayed(value, token);
    return { admitted: false, reason, until: value };
  }

  /** Frees the slot of a job that ended (or was put back) and promotes its tenant's next one. */
  async release(job: Job): Promise<void> {
    if (!this.capped) return;
    const tenant = jobTenant(job);
    const next = (await this.#connection.eval(
      RELEASE_SCRIPT,
      4,
      tenantKeys.running(this.#queue, tenant),
      tenantKeys.parked(this.#queue, tenant),
      tenantKeys.parkedIndex(this.#queue),
      tenantKeys.limited(this.#queue, tenant),
      String(job.id),
      this.#cap,
      tenant,
    )) as string | null;
    await this.#promote(tenant, next);
  }

  /** {@link limitTenant} on this gate's queue. */
  async limit(tenant: string, ms: number): Promise<number> {
    const until = await limitTenant(this.#connection, this.#queue, tenant, ms);
    this.#pauses.set(tenant, until);
    return until;
  }

  /**
   * The admission of a gate with no cap and no limit: a pause alone, from the cached view. Past
   * half of `pauseViewMs` the view is read again behind the job; only a job that finds it older
   * than `pauseViewMs` (the first, or one after a quiet spell) waits for the read. Waiting at
   * every expiry put a Redis round trip in front of one job per period, in the latency tail.
   * A job the view admits gets its answer at once, not a promise (no Redis call, nothing to wait).
   */
  #admitUnlessPaused(job: Job, token: string, tenant: string): Admission | Promise<Admission> {
    const now = Date.now();
    const age = now - this.#pausesReadAt;
    if (age >= this.#pauseViewMs / 2) {
      this.#pausesRead ??= this.#readPauses().finally(() => {
        this.#pausesRead = undefined;
      });
      if (age >= this.#pauseViewMs) {
        return this.#pausesRead.then(() => this.#admitFromView(job, token, tenant, Date.now()));
      }
      // A refresh that fails is tried again by the next job; past the bound, that job sees why.
      this.#pausesRead.catch(() => {});
    }
    return this.#admitFromView(job, token, tenant, now);
  }

  /** The admission the view of paused tenants gives at `now`; a paused tenant's job is delayed. */
  #admitFromView(
    job: Job,
    token: string,
    tenant: string,
    now: number,
  ): Admission | Promise<Admission> {
    const until = this.#pauses.get(tenant) ?? 0;
    if (until <= now) return ADMITTED;
    return job
      .moveToDelayed(until, token)
      .then((): Admission => ({ admitted: false, reason: 'limited', until }));
  }

  async #readPauses(): Promise<void> {
    const entries = await this.#connection.zrangebyscore(
      tenantKeys.limitedIndex(this.#queue),
      `(${Date.now()}`,
      '+inf',
      'WITHSCORES',
    );
    const pauses = new Map<string, number>();
    for (let i = 0; i + 1 < entries.length; i += 2) {
      pauses.set(entries[i] as string, Number(entries[i + 1]));
    }
    this.#pauses = pauses;
    this.#pausesReadAt = Date.now();
  }

  async #admit(tenant: string, id: string): Promise<[number, number]> {
    const queue = this.#queue;
    return (await this.#connection.eval(
      ADMIT_SCRIPT,
      6,
      tenantKeys.limited(queue, tenant),
      tenantKeys.rate(queue, tenant),
      tenantKeys.slot(queue, id),
      tenantKeys.running(queue, tenant),
      tenantKeys.parked(queue, tenant),
      tenantKeys.parkedIndex(queue),
      id,
      this.#cap,
      this.#max,
      this.#period,
      tenant,
    )) as [number, number];
  }

  /** Drops slots held by jobs whose lock is gone, then takes one if free. */
  async #heal(tenant: string, id: string): Promise<boolean> {
    const running = tenantKeys.running(this.#queue, tenant);
    const members = await this.#connection.zrange(running, 0, -1);
    const locks = members.map((member) => tenantKeys.lock(this.#queue, member));
    const taken = await this.#connection.eval(
      HEAL_SCRIPT,
      1 + locks.length,
      running,
      ...locks,
      id,
      this.#cap,
      ...members,
    );
    return taken === 1;
  }

  async #park(job: Job, token: string, tenant: string, parkedBefore: number): Promise<number> {
    const rounds = 1 + Math.floor(parkedBefore / this.#cap);
    const until = Date.now() + Math.min(this.#parkMs * rounds, MAX_PARK_MS);
    await job.moveToDelayed(until, token);
    const next = (await this.#connection.eval(
      PARK_SCRIPT,
      3,
      tenantKeys.running(this.#queue, tenant),
      tenantKeys.parked(this.#queue, tenant),
      tenantKeys.parkedIndex(this.#queue),
      String(job.id),
      this.#cap,
      tenant,
      MAX_PARK_MS + 60_000,
    )) as string | null;
    await this.#promote(tenant, next);
    return until;
  }

  /**
   * Promotes a parked job to run now. One that is no longer delayed (it came back on its own
   * after a promoter died, or was cancelled) is skipped for the next.
   */
  async #promote(tenant: string, first: string | null): Promise<void> {
    let id = first;
    while (id) {
      const job = await Job.fromId(this.#queue, id);
      try {
        if (job && (await job.isDelayed())) {
          await job.promote();
          return;
        }
      } catch {
        // It left the delayed set in between: the next one takes the slot.
      }
      id = (await this.#connection.eval(
        POP_SCRIPT,
        2,
        tenantKeys.parked(this.#queue, tenant),
        tenantKeys.parkedIndex(this.#queue),
        tenant,
      )) as string | null;
    }
  }
}

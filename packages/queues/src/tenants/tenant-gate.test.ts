import { randomUUID } from 'node:crypto';
import {
  createRedisConnection,
  parseEnvironment,
  type RedisConnection,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { tenantKeys } from '../redis-keys.js';
import { setTenant } from './job-tenant.js';
import { readTenants } from './read-tenants.js';
import { type Admission, limitTenant, TenantGate } from './tenant-gate.js';

describe('TenantGate', () => {
  let connection: RedisConnection;
  let queue: Queue;
  let prefix: string;

  beforeAll(async () => {
    prefix = `t${randomUUID().slice(0, 8)}`;
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: prefix },
    ).redis;
    connection = createRedisConnection(config, 'worker');
    await waitUntilReady(connection, 5000);
    queue = new Queue('gate', { connection, prefix });
  });
  afterAll(async () => {
    await queue.close();
    connection.disconnect();
  });

  const add = (tenant: string) => {
    const opts = {};
    setTenant(opts, tenant);
    return queue.add('job', {}, opts);
  };

  /** Runs a worker whose processor admits each job through `gate`, until `count` decisions. */
  async function decide(gate: TenantGate, count: number, hold = false) {
    const decisions: { id: string; admission: Admission }[] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const release: (() => void)[] = [];
    const worker = new Worker(
      'gate',
      async (job: Job, token?: string) => {
        const admission = await gate.admit(job, token ?? '');
        decisions.push({ id: String(job.id), admission });
        if (decisions.length === count) done();
        if (!admission.admitted) throw new DelayedError();
        if (hold) await new Promise<void>((resolve) => release.push(resolve));
        await gate.release(job);
      },
      { connection: connection.duplicate(), prefix, concurrency: 5 },
    );
    await all;
    return {
      decisions,
      stop: async () => {
        for (const resolve of release) resolve();
        await worker.close();
      },
    };
  }

  it('drops a slot whose job lost its lock (its worker died), at once, with no timer', async () => {
    const gate = new TenantGate({ connection, queue, concurrency: 1 });
    // A slot held by a job whose worker vanished: no BullMQ lock behind it.
    await connection.zadd(tenantKeys.running(queue, 'ghosted'), Date.now(), 'vanished-job');
    const job = await add('ghosted');
    const { decisions, stop } = await decide(gate, 1);
    await stop();
    expect(decisions).toEqual([{ id: job.id, admission: { admitted: true } }]);
    expect(await connection.exists(tenantKeys.running(queue, 'ghosted'))).toBe(0);
  });

  it('a parked job that came back on its own timer and ran is no longer listed as parked', async () => {
    const gate = new TenantGate({ connection, queue, concurrency: 1, parkMs: 150 });
    // A slot held by a job of another worker whose lock lapses in 700 ms (that worker died).
    await connection.zadd(tenantKeys.running(queue, 'returning'), Date.now(), 'elsewhere');
    await connection.set(tenantKeys.lock(queue, 'elsewhere'), 'token', 'PX', 700);
    const job = await add('returning');
    const decisions: Admission[] = [];
    const parkedCounts: (string | null)[] = [];
    let admitted: () => void = () => {};
    const ran = new Promise<void>((resolve) => {
      admitted = resolve;
    });
    const worker = new Worker(
      'gate',
      async (taken: Job, token?: string) => {
        const admission = await gate.admit(taken, token ?? '');
        decisions.push(admission);
        if (!admission.admitted) {
          parkedCounts.push(await connection.zscore(tenantKeys.parkedIndex(queue), 'returning'));
          throw new DelayedError();
        }
        await gate.release(taken);
        admitted();
      },
      { connection: connection.duplicate(), prefix },
    );
    await ran;
    await worker.close();
    // Parked more than once while the lock lived, listed once, then admitted on its own timer.
    expect(decisions[0]).toMatchObject({ admitted: false, reason: 'cap' });
    expect(parkedCounts.length).toBeGreaterThan(1);
    expect(new Set(parkedCounts)).toEqual(new Set(['1']));
    expect(decisions.at(-1)).toEqual({ admitted: true });
    expect(await queue.getJobState(job.id!)).toBe('completed');
    expect(await connection.exists(tenantKeys.parked(queue, 'returning'))).toBe(0);
    expect(await connection.zscore(tenantKeys.parkedIndex(queue), 'returning')).toBeNull();
  });

  it('parks a job at its tenant cap and promotes it when a slot frees; other tenants pass', async () => {
    const gate = new TenantGate({ connection, queue, concurrency: 1, parkMs: 600_000 });
    const first = await add('capped');
    const second = await add('capped');
    const other = await add('free');
    const { decisions, stop } = await decide(gate, 3, true);
    const byId = new Map(decisions.map((d) => [d.id, d.admission]));
    expect(byId.get(first.id!)).toEqual({ admitted: true });
    expect(byId.get(second.id!)).toMatchObject({ admitted: false, reason: 'cap' });
    expect(byId.get(other.id!)).toEqual({ admitted: true });
    expect(await queue.getJobState(second.id!)).toBe('delayed');
    const page = await readTenants(connection, queue);
    expect(page.tenants).toContainEqual({ tenant: 'capped', waiting: 1, active: 1 });
    await stop();
    // The first one's release promoted the parked one, long before its 10-minute park ran out.
    expect(['waiting', 'prioritized', 'active', 'completed']).toContain(
      await queue.getJobState(second.id!),
    );
  });

  it('pauses one tenant until a time; another tenant is not affected', async () => {
    const gate = new TenantGate({ connection, queue });
    const until = await gate.limit('paused', 60_000);
    const paused = await add('paused');
    const other = await add('running');
    const { decisions, stop } = await decide(gate, 2);
    await stop();
    const byId = new Map(decisions.map((d) => [d.id, d.admission]));
    expect(byId.get(paused.id!)).toEqual({ admitted: false, reason: 'limited', until });
    expect(byId.get(other.id!)).toEqual({ admitted: true });
    expect(await queue.getJobState(paused.id!)).toBe('delayed');
    expect((await readTenants(connection, queue)).tenants).toEqual([
      { tenant: 'paused', waiting: 0, active: 0, limitedUntil: until },
    ]);
    // A later, shorter pause does not shorten it.
    expect(await gate.limit('paused', 1000)).toBe(until);
  });

  it('with no cap and no limit, sees a pause set elsewhere without a Redis call per job', async () => {
    const until = await limitTenant(connection, queue, 'elsewhere', 60_000);
    const own = connection.duplicate();
    await waitUntilReady(own, 5000);
    // Counts what the gate sends on its own connection (its scripts and reads).
    let sent = 0;
    const send = own.sendCommand.bind(own);
    own.sendCommand = ((...args: unknown[]) => {
      sent += 1;
      return (send as (...rest: unknown[]) => unknown)(...args);
    }) as typeof own.sendCommand;
    const gate = new TenantGate({ connection: own, queue, pauseViewMs: 60_000 });
    const paused = await add('elsewhere');
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => add(`free-${i}`)));
    const { decisions, stop } = await decide(gate, 21);
    await stop();
    own.disconnect();
    const byId = new Map(decisions.map((d) => [d.id, d.admission]));
    expect(byId.get(paused.id!)).toEqual({ admitted: false, reason: 'limited', until });
    for (const job of others) expect(byId.get(job.id!)).toEqual({ admitted: true });
    // One read of the paused tenants for 21 admissions.
    expect(sent).toBe(1);
  });
  it('refreshes its view of pauses behind the jobs; a job waits only for a view past its bound', async () => {
    const own = connection.duplicate();
    await waitUntilReady(own, 5000);
    // Each read of the paused tenants is held until the test releases it.
    const reads: (() => void)[] = [];
    const read = own.zrangebyscore.bind(own) as (...args: unknown[]) => Promise<string[]>;
    own.zrangebyscore = ((...args: unknown[]) =>
      new Promise<string[]>((resolve, reject) => {
        reads.push(() => void read(...args).then(resolve, reject));
      })) as unknown as typeof own.zrangebyscore;
    let now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    const job = (tenant: string) => {
      const opts = {};
      setTenant(opts, tenant);
      return { opts, moveToDelayed: async () => {} } as unknown as Job;
    };
    const settled = (answer: unknown) => {
      const state = { done: false };
      void Promise.resolve(answer).then(() => {
        state.done = true;
      });
      return state;
    };
    try {
      const gate = new TenantGate({ connection: own, queue, pauseViewMs: 1000 });
      // The first job waits for the first view.
      const first = gate.admit(job('quiet'), 'token');
      await vi.waitFor(() => expect(reads).toHaveLength(1));
      reads[0]?.();
      expect(await first).toEqual({ admitted: true });

      // Past half the bound: admitted from the view at once, while a read refreshes it.
      const until = await limitTenant(connection, queue, 'later', 60_000);
      now += 600;
      expect(await gate.admit(job('later'), 'token')).toEqual({ admitted: true });
      expect(reads).toHaveLength(2);
      reads[1]?.();
      await vi.waitFor(async () =>
        expect(await gate.admit(job('later'), 'token')).toEqual({
          admitted: false,
          reason: 'limited',
          until,
        }),
      );

      // Past the bound (a quiet spell): the job waits for a fresh view.
      now += 1100;
      const waiting = gate.admit(job('quiet'), 'token');
      const state = settled(waiting);
      await vi.waitFor(() => expect(reads).toHaveLength(3));
      expect(state.done).toBe(false);
      reads[2]?.();
      expect(await waiting).toEqual({ admitted: true });
    } finally {
      clock.mockRestore();
      own.disconnect();
    }
  });
});

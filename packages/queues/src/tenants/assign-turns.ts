import type { RedisConnection } from '@conveyor/redis';
import type { Queue } from 'bullmq';
import { bullKey, tenantKeys } from '../redis-keys.js';
import { MAX_TURN, TURNS_SCRIPT } from '../scripts/tenant-turns.js';
import { LuaScript } from '../search/lua-script.js';

const TURNS = new LuaScript(TURNS_SCRIPT);

export { MAX_TURN };

/** One job to place, for {@link assignTurns}. */
export interface TurnRequest {
  tenant: string;
  /** The caller's priority, 1 (highest) to {@link MAX_TURN}; none = the tenant's next turn. */
  priority?: number;
  /** True for a job with a `delay`: it takes its turn in its tenant's delayed lane. */
  delayed?: boolean;
}

/**
 * The BullMQ priority (turn) of each job, in one round trip, in order; see {@link TURNS_SCRIPT}
 * for the scheme. `connection` must reach the queue's Redis.
 */
export async function assignTurns(
  connection: RedisConnection,
  queue: Queue,
  jobs: readonly TurnRequest[],
): Promise<number[]> {
  const args = jobs.flatMap((job) => [job.tenant, job.priority ?? 0, job.delayed ? 1 : 0]);
  const keys = [
    queue.toKey('prioritized'),
    tenantKeys.turns(queue),
    tenantKeys.clock(queue),
    tenantKeys.lanes(queue),
    bullKey(queue, 'delayed'),
    bullKey(queue, 'active'),
  ];
  return (await TURNS.run(connection, [keys.length, ...keys, ...args])) as number[];
}

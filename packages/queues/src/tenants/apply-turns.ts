import type { RedisConnection } from '@conveyor/redis';
import type { JobsOptions, Queue } from 'bullmq';
import { assignTurns, type TurnRequest } from './assign-turns.js';

/** A job about to be stored, with its tenant's place in the fair order. */
export interface PlacedJob {
  opts: JobsOptions;
  turn: TurnRequest;
}

/** Sets each job's BullMQ priority to its fair turn ({@link assignTurns}), one round trip. */
export async function applyTurns(
  connection: RedisConnection,
  queue: Queue,
  jobs: readonly PlacedJob[],
): Promise<void> {
  if (jobs.length === 0) return;
  const turns = await assignTurns(
    connection,
    queue,
    jobs.map((job) => job.turn),
  );
  jobs.forEach((job, index) => {
    job.opts.priority = turns[index];
  });
}

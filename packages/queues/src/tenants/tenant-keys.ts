import type { Queue } from 'bullmq';

/**
 * The Redis keys of tenants, all built from the queue's own prefix (one hash slot under Cluster).
 *
 * - `tenants`: ZSET tenant -> its next turn (virtual time); only tenants with jobs waiting;
 * - `tenants:clock`: the last turn handed out, where turns resume when nothing is waiting;
 * - `tenants:parked`: ZSET tenant -> jobs parked at its concurrency cap;
 * - `tenants:limited`: ZSET tenant -> end of its pause, for the listing (expires with the last);
 * - `tenant:<t>:running`, `:parked`, `:limited`, `:starts`: one tenant's running jobs (cap),
 *   parked jobs, pause deadline and last start slots (rate limit); each removed or expiring once the tenant is quiet;
 * - `tenant-slot:<jobId>`: a rate-limit slot reserved for a job delayed to it.
 */
export const tenantKeys = {
  turns: (queue: Queue) => queue.toKey('tenants'),
  clock: (queue: Queue) => queue.toKey('tenants:clock'),
  parkedIndex: (queue: Queue) => queue.toKey('tenants:parked'),
  limitedIndex: (queue: Queue) => queue.toKey('tenants:limited'),
  running: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:running`),
  parked: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:parked`),
  limited: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:limited`),
  rate: (queue: Queue, tenant: string) => queue.toKey(`tenant:${tenant}:starts`),
  slot: (queue: Queue, jobId: string) => queue.toKey(`tenant-slot:${jobId}`),
  /** BullMQ's lock of a running job: gone once its worker stopped renewing it. */
  lock: (queue: Queue, jobId: string) => `${queue.toKey(jobId)}:lock`,
};

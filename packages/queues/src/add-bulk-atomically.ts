import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';

/** One job for {@link addBulkAtomically}. */
export interface BulkJob {
  name: string;
  data: unknown;
  opts: JobsOptions;
}

/**
 * Stores every job or none: `queue.addBulk` with its adds sent as one MULTI/EXEC instead of
 * BullMQ 6's plain pipeline, whose scripts run one by one as they arrive (a Redis at maxmemory
 * or a dropped connection partway kept the first jobs of a refused bulk).
 *
 * Why a MULTI is enough, measured against redis-server 7 (see the test):
 * - a connection lost before EXEC arrives discards the whole transaction;
 * - at maxmemory, Redis 7 refuses any command queued inside a MULTI (queuing itself uses
 *   memory), and one refused command discards the whole transaction (EXECABORT); a bulk whose
 *   own jobs reach the limit partway is refused whole the same way. Once EXEC runs, its scripts
 *   share the one out-of-memory verdict taken before it, so none is cut partway;
 * - a job refused by its script (a code < 0) cannot happen for a job without a parent.
 * Job options are validated (size limit included) for every job before anything is sent.
 *
 * Cost: the same adds as `addBulk` plus MULTI/EXEC; `FlowProducer.addBulk`, BullMQ's own
 * transactional path, builds a flow per job and awaits each add, several times slower.
 */
/**
 * Queues more commands on the transaction after the adds (the search index); returns what to
 * call with their replies once EXEC has run, awaited before the adds' jobs are returned.
 */
export type AlongsideAdds = (
  transaction: ChainableCommander,
) => (replies: [Error | null, unknown][]) => Promise<void> | void;

export async function addBulkAtomically(
  queue: Queue,
  jobs: BulkJob[],
  alongside?: AlongsideAdds,
): Promise<Job[]> {
  const instances = jobs.map((job) => {
    const opts = { ...queue.jobsOpts, ...job.opts };
    return new Job(queue, job.name, job.data, opts, opts.jobId);
  });
  const entries = instances.map((job) => {
    const json = job.asJSON();
    // Throws on an invalid option or a job over `sizeLimit`, before any command is sent.
    (job as unknown as { validateOptions(json: unknown): void }).validateOptions(json);
    return { json, id: job.id ?? '' };
  });
  const client = await queue.backend.client;
  const multi = client.multi();
  // Queues each add on the transaction; inside a MULTI their results come with EXEC.
  await Promise.all(
    entries.map(({ json, id }) => queue.backend.addJobToTransaction(multi, json, id)),
  );
  // BullMQ's transaction is ioredis's own MULTI with a few methods added.
  const after = alongside?.(multi as unknown as ChainableCommander);
  let results: [Error | null, unknown][] | null;
  try {
    results = await multi.exec();
  } catch (error) {
    // EXECABORT says only "previous errors": the first of them says why (OOM).
    throw (error as { previousErrors?: Error[] }).previousErrors?.[0] ?? error;
  }
  if (results === null) throw new Error('bulk transaction discarded');
  results.slice(0, instances.length).forEach(([error, id], index) => {
    if (error) throw error;
    const job = instances[index];
    if (job) job.id = String(id);
  });
  await after?.(results.slice(instances.length));
  return instances;
}

import { Gauge, type Registry } from 'prom-client';

/** What one process reads of a queue in Redis at scrape time, for {@link createFleetQueueGauges}. */
export interface QueueSnapshot {
  /** The catalog queue (never its dead-letter queue's own name). */
  queue: string;
  /** Jobs by BullMQ state, exactly as `Queue.getJobCounts()` returns them. */
  counts: Record<string, number>;
  /** Jobs in the queue's dead-letter queue. */
  deadLetters: number;
  /** Jobs a worker could start now: waiting + prioritized + delayed that are due; 0 while paused. */
  backlog: number;
  /** Age of the oldest of those jobs, 0 when there is none. */
  oldestAgeSeconds: number;
  paused: boolean;
  /** Tenants with jobs waiting (no label per tenant: their number is unbounded). */
  activeTenants?: number;
  /** The most jobs one tenant has waiting. */
  largestTenantBacklog?: number;
}

/**
 * The queue gauges that describe Redis, not the process that reads them, so exactly one process
 * of the fleet may export them (one API process, elected by a lease in Redis; see the README's
 * Operations section), else Prometheus adds up copies; `read` resolves to `[]` in the others:
 * - `conveyor_queue_jobs{queue,state}`: BullMQ's job counts by state;
 * - `conveyor_dead_letter_jobs{queue}`: a queue's dead letters (a separate series, so that
 *   `sum by (queue) (conveyor_queue_jobs)` does not count a failed job twice);
 * - `conveyor_queue_backlog{queue}`, `conveyor_queue_oldest_age_seconds{queue}`,
 *   `conveyor_queue_paused{queue}`: what an autoscaler needs;
 * - `conveyor_queue_active_tenants{queue}`, `conveyor_queue_largest_tenant_backlog{queue}`: how
 *   many tenants wait, and the largest backlog of one (never a label per tenant).
 *
 * `read` runs once per scrape for all of them (its promise is shared while it runs), at scrape
 * time only. A failed read leaves the gauges empty for that scrape instead of failing `/metrics`.
 * In a multi-process API the primary aggregates its processes' registries: the one that holds
 * the lease has values, so it keeps the largest value (`aggregator: 'max'`), never a sum.
 */
export function createFleetQueueGauges(
  registry: Registry,
  read: () => Promise<QueueSnapshot[]>,
): void {
  let pending: Promise<QueueSnapshot[] | undefined> | undefined;
  const snapshots = () => {
    pending ??= read()
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  const gauge = <Label extends string>(
    name: string,
    help: string,
    labelNames: readonly Label[],
    fill: (gauge: Gauge<Label>, snapshot: QueueSnapshot) => void,
  ) =>
    new Gauge<Label>({
      name,
      help,
      labelNames,
      registers: [registry],
      aggregator: 'max',
      async collect() {
        const read = await snapshots();
        this.reset();
        for (const snapshot of read ?? []) fill(this, snapshot);
      },
    });

  gauge(
    'conveyor_queue_jobs',
    'Jobs per queue and BullMQ state, read from Redis at scrape time (exported by the API only)',
    ['queue', 'state'],
    (jobs, { queue, counts }) => {
      for (const [state, count] of Object.entries(counts)) jobs.set({ queue, state }, count);
    },
  );
  gauge(
    'conveyor_dead_letter_jobs',
    "Jobs in a queue's dead-letter queue, read at scrape time (exported by the API only)",
    ['queue'],
    (letters, { queue, deadLetters }) => letters.set({ queue }, deadLetters),
  );
  gauge(
    'conveyor_queue_backlog',
    'Jobs a worker could start now: waiting + prioritized + due delayed; 0 while paused',
    ['queue'],
    (backlog, snapshot) => backlog.set({ queue: snapshot.queue }, snapshot.backlog),
  );
  gauge(
    'conveyor_queue_oldest_age_seconds',
    'Age of the oldest job in the backlog; 0 when the backlog is empty',
    ['queue'],
    (age, { queue, oldestAgeSeconds }) => age.set({ queue }, oldestAgeSeconds),
  );
  gauge(
    'conveyor_queue_paused',
    '1 while the queue is paused (its backlog then reads 0)',
    ['queue'],
    (paused, snapshot) => paused.set({ queue: snapshot.queue }, snapshot.paused ? 1 : 0),
  );
  gauge(
    'conveyor_queue_active_tenants',
    'Tenants with jobs waiting in the queue (no per-tenant label: see GET /v1/queues/:queue/tenants)',
    ['queue'],
    (tenants, { queue, activeTenants }) => {
      if (activeTenants !== undefined) tenants.set({ queue }, activeTenants);
    },
  );
  gauge(
    'conveyor_queue_largest_tenant_backlog',
    'The most jobs one tenant has waiting in the queue',
    ['queue'],
    (largest, { queue, largestTenantBacklog }) => {
      if (largestTenantBacklog !== undefined) largest.set({ queue }, largestTenantBacklog);
    },
  );
}

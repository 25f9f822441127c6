import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** A registry with Node process metrics and an `app` label on every series. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** `conveyor_jobs_enqueued_total{queue}`: jobs the API stored. */
export function createEnqueueMetrics(registry: Registry) {
  return {
    enqueued: new Counter({
      name: 'conveyor_jobs_enqueued_total',
      help: 'Jobs stored in a queue by the API (deduplicated requests excluded)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
  };
}

/** `conveyor_http_request_duration_seconds{method,route,status}`. */
export function createHttpMetrics(registry: Registry) {
  return {
    requestDuration: new Histogram({
      name: 'conveyor_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** Worker-side job outcome metrics. */
export function createJobMetrics(registry: Registry) {
  return {
    completed: new Counter({
      name: 'conveyor_jobs_completed_total',
      help: 'Jobs completed by this worker',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    failed: new Counter({
      name: 'conveyor_jobs_failed_total',
      help: 'Job attempts that failed; final="true" when no retry follows',
      labelNames: ['queue', 'final'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'conveyor_job_duration_seconds',
      help: 'Time spent running a job attempt',
      labelNames: ['queue'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    }),
    cancelled: new Counter({
      name: 'conveyor_jobs_cancelled_total',
      help: 'Running jobs this worker ended cancelled (cancelled over the API)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    expired: new Counter({
      name: 'conveyor_jobs_expired_total',
      help: 'Jobs not run because they were not started by their deadline (expiresInMs)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'conveyor_dead_letters_total',
      help: 'Jobs moved to a dead-letter queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
  };
}

/** One queue's job counts by state, as BullMQ's `getJobCounts()` returns them. */
export type QueueCounts = Record<string, Record<string, number>>;

/**
 * `conveyor_queue_jobs{queue,state}`, read from Redis at scrape time (no background polling).
 * A failed read leaves the gauge empty for that scrape instead of failing `/metrics`.
 */
export function createQueueJobsGauge(registry: Registry, readCounts: () => Promise<QueueCounts>) {
  return new Gauge({
    name: 'conveyor_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    // Every process of a multi-process API reads the same counts: summing them would multiply.
    aggregator: 'max',
    async collect() {
      this.reset();
      let counts: QueueCounts;
      try {
        counts = await readCounts();
      } catch {
        return;
      }
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, count] of Object.entries(states)) this.set({ queue, state }, count);
      }
    },
  });
}

export type { Registry } from 'prom-client';

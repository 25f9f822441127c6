import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * prom-client's gauges named like counters: `promtool check metrics` rejects a gauge ending in
 * `_total`. Each equals `sum without (type)` of the per-type gauge kept beside it
 * (`nodejs_active_handles{type}`, ...), so nothing is lost.
 */
const COUNTER_NAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** A registry with Node process metrics and an `app` label on every series. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  for (const name of COUNTER_NAMED_GAUGES) registry.removeSingleMetric(name);
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

export type { Registry } from 'prom-client';

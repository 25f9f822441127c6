import { type Producer, QUEUE_NAMES, readQueueBacklog, readTenantGauges } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import {
  createEnqueueMetrics,
  createFleetQueueGauges,
  createHttpMetrics,
  type Registry,
} from '@conveyor/telemetry';
import { Counter } from 'prom-client';
import { readFromRedis } from '../jobs/read-from-redis.js';
import { readQueueCounts } from '../jobs/read-queue-counts.js';
import type { MetricsExporterLease } from './metrics-exporter-lease.js';
import { RequestMetrics } from './request-metrics.js';

/** What {@link createApiMetrics} registers its metrics from. */
export interface ApiMetricsOptions {
  registry: Registry;
  producer: Producer;
  /** Connection the backlog script runs on (the Producer's). */
  connection: RedisConnection;
  /** Says, at each scrape, whether this process exports the Redis-wide gauges. */
  exporterLease: MetricsExporterLease;
  /** Upper bound for the scrape's Redis reads. */
  redisTimeoutMs: number;
}

/**
 * Registers the API's metrics: the series every deployment reads (`conveyor_jobs_enqueued_total{queue}`,
 * `conveyor_http_request_duration_seconds{method,route,status}`),
 * `conveyor_api_client_requests_total{status}` (authenticated requests; no client label, as
 * `/metrics` is open: per-client counts are in the request log), and the fleet's queue gauges
 * (`createFleetQueueGauges`), which only the API exports: it is the one process every
 * deployment runs, where workers scale to many and the dashboard is optional. Of several API
 * processes (replicas, or `API_PROCESSES`), only the holder of the exporter lease fills them,
 * so that `sum` over every target counts Redis once.
 */
export function createApiMetrics(options: ApiMetricsOptions) {
  const { registry, producer, connection, exporterLease, redisTimeoutMs } = options;
  const { enqueued } = createEnqueueMetrics(registry);
  const clientRequests = new Counter({
    name: 'conveyor_api_client_requests_total',
    help: 'Authenticated API requests by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  createFleetQueueGauges(registry, async () => {
    if (!(await exporterLease.hold())) return [];
    const [summaries, backlogs, tenants] = await Promise.all([
      readQueueCounts(producer, redisTimeoutMs),
      readFromRedis(redisTimeoutMs, () =>
        Promise.all(QUEUE_NAMES.map((name) => readQueueBacklog(connection, producer.queue(name)))),
      ),
      readFromRedis(redisTimeoutMs, () =>
        Promise.all(QUEUE_NAMES.map((name) => readTenantGauges(connection, producer.queue(name)))),
      ),
    ]);
    return summaries.map((summary, index) => ({
      queue: summary.name,
      counts: summary.counts,
      deadLetters: summary.deadLetters,
      ...backlogs[index]!,
      ...tenants[index]!,
    }));
  });
  const requests = new RequestMetrics({
    duration: createHttpMetrics(registry).requestDuration,
    clientRequests,
  });
  return { enqueued, requests };
}

import type { Producer } from '@conveyor/queues';
import {
  createEnqueueMetrics,
  createHttpMetrics,
  createQueueJobsGauge,
  type Registry,
} from '@conveyor/telemetry';
import { Counter } from 'prom-client';
import { RequestMetrics } from './http/request-metrics.js';
import { readQueueCounts } from './redis/read-queue-counts.js';

/**
 * Registers the API's metrics: the DESIGN series (`conveyor_jobs_enqueued_total{queue}`,
 * `conveyor_http_request_duration_seconds{method,route,status}`, `conveyor_queue_jobs{queue,state}`
 * read at scrape with each queue's dead letters as state `dead-letter`) and
 * `conveyor_api_client_requests_total{status}` (authenticated requests; no client label, as
 * `/metrics` is open: per-client counts are in the request log).
 */
export function createApiMetrics(registry: Registry, producer: Producer, redisTimeoutMs: number) {
  const { enqueued } = createEnqueueMetrics(registry);
  const clientRequests = new Counter({
    name: 'conveyor_api_client_requests_total',
    help: 'Authenticated API requests by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  createQueueJobsGauge(registry, async () => {
    const summaries = await readQueueCounts(producer, redisTimeoutMs);
    return Object.fromEntries(
      summaries.map((summary) => [
        summary.name,
        { ...summary.counts, 'dead-letter': summary.deadLetters },
      ]),
    );
  });
  const requests = new RequestMetrics({
    duration: createHttpMetrics(registry).requestDuration,
    clientRequests,
  });
  return { enqueued, requests };
}

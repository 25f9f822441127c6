import { type Producer, QUEUE_NAMES, readQueueBacklog } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import {
  createEnqueueMetrics,
  createFleetQueueGauges,
  createHttpMetrics,
  type Registry,
} from '@conveyor/telemetry';
import { Counter } from 'prom-client';
import { RequestMetrics } from './http/request-metrics.js';
import { readFromRedis } from './redis/read-from-redis.js';
import { readQueueCounts } from './redis/read-queue-counts.js';

/**
 * Registers the API's metrics: the series every deployment reads (`conveyor_jobs_enqueued_total{queue}`,
 * `conveyor_http_request_duration_seconds{method,route,status}`),
 * `conveyor_api_client_requests_total{status}` (authenticated requests; no client label, as
 * `/metrics` is open: per-client counts are in the request log), and the fleet's queue gauges
 * (`createFleetQueueGauges`), which only the API exports: it is the one process every
 * deployment runs, where workers scale to many and the dashboard is optional.
 */
export function createApiMetrics(
  registry: Registry,
  producer: Producer,
  connection: RedisConnection,
  redisTimeoutMs: number,
) {
  const { enqueued } = createEnqueueMetrics(registry);
  const clientRequests = new Counter({
    name: 'conveyor_api_client_requests_total',
    help: 'Authenticated API requests by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  createFleetQueueGauges(registry, async () => {
    const [summaries, backlogs] = await Promise.all([
      readQueueCounts(producer, redisTimeoutMs),
      readFromRedis(redisTimeoutMs, () =>
        Promise.all(QUEUE_NAMES.map((name) => readQueueBacklog(connection, producer.queue(name)))),
      ),
    ]);
    return summaries.map((summary, index) => ({
      queue: summary.name,
      counts: summary.counts,
      deadLetters: summary.deadLetters,
      ...backlogs[index]!,
    }));
  });
  const requests = new RequestMetrics({
    duration: createHttpMetrics(registry).requestDuration,
    clientRequests,
  });
  return { enqueued, requests };
}

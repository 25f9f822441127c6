import { describe, expect, it } from 'vitest';
import {
  createEnqueueMetrics,
  createJobMetrics,
  createMetricsRegistry,
  createQueueJobsGauge,
} from './conveyor-metrics.js';

describe('metrics', () => {
  it('exposes the DESIGN metric names with an app label', async () => {
    const registry = createMetricsRegistry('test');
    createEnqueueMetrics(registry).enqueued.inc({ queue: 'ingestion' });
    const jobs = createJobMetrics(registry);
    jobs.failed.inc({ queue: 'ingestion', final: 'true' });
    const text = await registry.metrics();
    expect(text).toContain('conveyor_jobs_enqueued_total{queue="ingestion",app="test"} 1');
    expect(text).toContain(
      'conveyor_jobs_failed_total{queue="ingestion",final="true",app="test"} 1',
    );
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('reads queue counts at scrape time and survives a failed read', async () => {
    const registry = createMetricsRegistry('test');
    let calls = 0;
    createQueueJobsGauge(registry, async () => {
      calls++;
      if (calls === 2) throw new Error('Redis is down');
      return { ingestion: { waiting: calls, failed: 0 } };
    });
    expect(await registry.metrics()).toContain(
      'conveyor_queue_jobs{queue="ingestion",state="waiting",app="test"} 1',
    );
    expect(await registry.metrics()).not.toContain('conveyor_queue_jobs{');
    expect(await registry.metrics()).toContain(
      'conveyor_queue_jobs{queue="ingestion",state="waiting",app="test"} 3',
    );
  });
});

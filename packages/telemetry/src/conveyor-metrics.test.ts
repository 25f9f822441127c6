import { describe, expect, it } from 'vitest';
import {
  createEnqueueMetrics,
  createJobMetrics,
  createMetricsRegistry,
} from './conveyor-metrics.js';

describe('metrics', () => {
  it('exposes the metric names the README documents (Operations), with an app label', async () => {
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

  it('registers no gauge named like a counter (promtool rejects them)', async () => {
    const registry = createMetricsRegistry('test');
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
    expect(text.match(/^# TYPE \S+_total gauge$/gm)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './conveyor-metrics.js';
import { createFleetQueueGauges, type QueueSnapshot } from './fleet-queue-gauges.js';

const snapshot = (waiting: number): QueueSnapshot => ({
  queue: 'ingestion',
  counts: { waiting, failed: 2 },
  deadLetters: 1,
  backlog: waiting + 4,
  oldestAgeSeconds: 7.5,
  paused: false,
  activeTenants: 3,
  largestTenantBacklog: waiting + 10,
});

describe('createFleetQueueGauges', () => {
  it('reads Redis once per scrape for every gauge, and survives a failed read', async () => {
    const registry = createMetricsRegistry('test');
    let calls = 0;
    createFleetQueueGauges(registry, async () => {
      calls++;
      if (calls === 2) throw new Error('Redis is down');
      return [snapshot(calls)];
    });

    const first = await registry.metrics();
    expect(calls).toBe(1);
    for (const line of [
      'conveyor_queue_jobs{queue="ingestion",state="waiting",app="test"} 1',
      'conveyor_queue_jobs{queue="ingestion",state="failed",app="test"} 2',
      'conveyor_dead_letter_jobs{queue="ingestion",app="test"} 1',
      'conveyor_queue_backlog{queue="ingestion",app="test"} 5',
      'conveyor_queue_oldest_age_seconds{queue="ingestion",app="test"} 7.5',
      'conveyor_queue_paused{queue="ingestion",app="test"} 0',
      'conveyor_queue_active_tenants{queue="ingestion",app="test"} 3',
      'conveyor_queue_largest_tenant_backlog{queue="ingestion",app="test"} 11',
    ]) {
      expect(first).toContain(line);
    }
    // Dead letters are their own series, never a state of the origin queue or a queue of their own.
    expect(first).not.toMatch(/conveyor_queue_jobs\{[^}]*dead/);

    const failed = await registry.metrics();
    expect(calls).toBe(2);
    expect(failed).not.toContain('conveyor_queue_jobs{');
    expect(failed).not.toContain('conveyor_queue_backlog{');

    expect(await registry.metrics()).toContain(
      'conveyor_queue_jobs{queue="ingestion",state="waiting",app="test"} 3',
    );
    expect(calls).toBe(3);
  });
});

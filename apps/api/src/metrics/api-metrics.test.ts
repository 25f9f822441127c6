import { randomUUID } from 'node:crypto';
import { waitFor } from '@conveyor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestData } from '../../test/support/payloads.js';
import { startTestApp, type TestApp } from '../../test/support/test-app.js';

const LEASE_MS = 1000;

/** `sum by (queue, state) (conveyor_queue_jobs)` of one scrape, and whether it had any sample. */
function queueJobs(text: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const [, queue, state, value] of text.matchAll(
    /^conveyor_queue_jobs\{queue="([^"]+)",state="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    const key = `${queue}/${state}`;
    sums[key] = (sums[key] ?? 0) + Number(value);
  }
  return sums;
}

describe('the Redis-wide gauges of two API instances on one Redis', () => {
  let apps: [TestApp, TestApp];

  beforeAll(async () => {
    const env = { QUEUE_PREFIX: `m${randomUUID().slice(0, 8)}`, METRICS_EXPORTER_LEASE_MS: '1000' };
    apps = [await startTestApp({ env }), await startTestApp({ env })];
  });
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  const scrape = async (app: TestApp) => {
    const response = await app.request('/metrics', { auth: false });
    expect(response.status).toBe(200);
    return response.text();
  };
  const exports = (text: string) =>
    ['conveyor_queue_jobs', 'conveyor_dead_letter_jobs', 'conveyor_queue_backlog'].map((name) =>
      new RegExp(`^${name}\\{`, 'm').test(text),
    );

  it('come from one of them, so sum over both equals Redis; the other takes over after the ttl', async () => {
    const [first, second] = apps;
    for (const id of ['a', 'b']) {
      expect(
        (await first.postJson('/v1/queues/ingestion/jobs', { data: ingestData(id) })).status,
      ).toBe(202);
    }
    // Each waits its tenant's turn in BullMQ's prioritized set; reported as waiting.
    const counts = await first.producer.queue('ingestion').getJobCounts();
    expect(counts.prioritized).toBe(2);

    // The first scraped takes the lease and keeps it while it is scraped.
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([scrape(first), scrape(second)]);
      expect(exports(a)).toEqual([true, true, true]);
      expect(exports(b)).toEqual([false, false, false]);
      // Each still serves its own series.
      expect(b).toMatch(/^process_cpu_user_seconds_total\{/m);
      const sum = { ...queueJobs(a) };
      for (const [key, value] of Object.entries(queueJobs(b))) sum[key] = (sum[key] ?? 0) + value;
      expect(sum['ingestion/waiting']).toBe(2);
      expect(sum['slack-events/waiting']).toBe(0);
    }

    // The first stops being scraped (its pod died): the second exports once the lease expired.
    const lastScrape = performance.now();
    const text = await waitFor(
      async () => {
        const scraped = await scrape(second);
        return exports(scraped).every(Boolean) ? scraped : undefined;
      },
      { timeoutMs: 10 * LEASE_MS, intervalMs: 100, description: 'the second to export' },
    );
    expect(performance.now() - lastScrape).toBeGreaterThanOrEqual(LEASE_MS * 0.9);
    expect(queueJobs(text)['ingestion/waiting']).toBe(2);
    expect(exports(await scrape(first))).toEqual([false, false, false]);
  });
});

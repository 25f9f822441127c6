import {
  closeRedisConnection,
  createRedisConnection,
  parseEnvironment,
  redisEnvSchema,
  waitUntilReady,
} from '@conveyor/redis';
import { startRedisCluster } from '@conveyor/testing';
import { DelayedError, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { Producer } from '../producer.js';
import { jobTenant } from './job-tenant.js';
import { readTenantGauges, readTenants } from './read-tenants.js';
import { TenantGate } from './tenant-gate.js';

describe('tenants on Redis Cluster', () => {
  it('places, lists, caps and pauses tenants with every key in the queue’s slot', {
    timeout: 60_000,
  }, async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    const config = parseEnvironment(
      { redis: redisEnvSchema },
      { REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') },
    ).redis;
    const producerConnection = createRedisConnection(config, 'producer');
    const workerConnection = createRedisConnection(config, 'worker');
    const producer = new Producer({ connection: producerConnection, prefix: config.prefix });
    let worker: Worker | undefined;
    try {
      await waitUntilReady(producerConnection, 10_000);
      await waitUntilReady(workerConnection, 10_000);
      const job = (i: number, orgId: string) => ({
        data: { documentId: `d-${orgId}-${i}`, source: { kind: 'inline', text: 'x' }, orgId },
      });
      await producer.enqueueBulk('ingestion', [
        ...[0, 1, 2, 3].map((i) => job(i, 'org-a')),
        job(0, 'org-b'),
      ]);
      const queue = producer.queue('ingestion');
      const page = await readTenants(producerConnection, queue);
      expect(page.tenants.map(({ tenant, waiting }) => [tenant, waiting])).toEqual([
        ['org-a', 4],
        ['org-b', 1],
      ]);
      expect(await readTenantGauges(producerConnection, queue)).toEqual({
        activeTenants: 2,
        largestTenantBacklog: 4,
      });

      const gate = new TenantGate({ connection: workerConnection, queue, concurrency: 1 });
      const pausedUntil = await gate.limit('org-b', 300);
      let orgBRanAt = 0;
      const ran: string[] = [];
      const done = new Promise<void>((resolve) => {
        worker = new Worker(
          'ingestion',
          async (bullJob, token) => {
            const admission = await gate.admit(bullJob, token ?? '');
            if (!admission.admitted) throw new DelayedError();
            ran.push(jobTenant(bullJob));
            if (jobTenant(bullJob) === 'org-b') orgBRanAt = Date.now();
            await gate.release(bullJob);
            if (ran.length === 5) resolve();
          },
          { connection: workerConnection, prefix: config.prefix, concurrency: 4 },
        );
      });
      await done;
      expect(ran.filter((tenant) => tenant === 'org-a')).toHaveLength(4);
      // Paused for 300 ms: org-b ran only once its pause was over.
      expect(orgBRanAt).toBeGreaterThanOrEqual(pausedUntil - 5);
    } finally {
      await worker?.close();
      await producer.close();
      await closeRedisConnection(producerConnection);
      await closeRedisConnection(workerConnection);
      await cluster.stop();
    }
  });
});

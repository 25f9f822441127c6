import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, startRedisCluster } from './start-redis-cluster.js';
import { withRedisClient } from './with-redis-client.js';

/** Slots covered by a CLUSTER SLOTS reply, counted once each. */
function coveredSlots(reply: unknown): number {
  const covered = new Set<number>();
  for (const [start, end] of reply as [number, number][]) {
    for (let slot = start; slot <= end; slot++) covered.add(slot);
  }
  return covered.size;
}

describe('startRedisCluster', () => {
  it('creates 3 masters covering all 16384 slots, usable by a cluster client', async () => {
    const cluster = await startRedisCluster({ password: 'cluster-pass' });
    try {
      expect(cluster.nodes).toHaveLength(3);
      for (const server of cluster.servers) {
        const info = await withRedisClient(server, (client) => client.cluster('INFO'));
        expect(info).toContain('cluster_state:ok');
        expect(info).toContain(`cluster_slots_assigned:${CLUSTER_SLOTS}`);
        expect(info).toContain('cluster_known_nodes:3');
      }
      const slots = await withRedisClient(cluster.servers[0]!, (client) => client.cluster('SLOTS'));
      expect(coveredSlots(slots)).toBe(CLUSTER_SLOTS);

      const client = new Cluster(cluster.nodes, {
        redisOptions: { password: cluster.password },
        clusterRetryStrategy: () => null,
      });
      try {
        // Keys spread over every master; each write must land on its slot owner.
        for (let index = 0; index < 30; index++) await client.set(`conveyor:${index}`, index);
        expect(await client.get('conveyor:17')).toBe('17');
      } finally {
        client.disconnect();
      }
    } finally {
      await cluster.stop();
    }
    for (const server of cluster.servers) expect(server.running).toBe(false);
  });

  it('assigns the slots itself for a single master, which redis-cli refuses', async () => {
    const cluster = await startRedisCluster({ masters: 1 });
    try {
      const info = await withRedisClient(cluster.servers[0]!, (client) => client.cluster('INFO'));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain(`cluster_slots_assigned:${CLUSTER_SLOTS}`);
    } finally {
      await cluster.stop();
    }
  });
});

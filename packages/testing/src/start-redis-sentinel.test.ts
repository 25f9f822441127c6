import { describe, expect, it } from 'vitest';
import { startRedisSentinel } from './start-redis-sentinel.js';
import { withRedisClient } from './with-redis-client.js';

describe('startRedisSentinel', () => {
  it('monitors a replicated master and promotes the replica when it dies', async () => {
    const deployment = await startRedisSentinel({ password: 'sentinel-pass' });
    try {
      expect(deployment.masterName).toBe('conveyor');
      expect(deployment.sentinels).toHaveLength(3);
      const before = await deployment.currentMaster();
      expect(before).toEqual({ host: '127.0.0.1', port: deployment.master.port });
      await withRedisClient(deployment.master, async (client) => {
        await client.set('conveyor:replicated', 'yes');
        // WAIT returns once the replica acknowledged the write, so it survives the failover.
        expect(await client.wait(1, 2000)).toBe(1);
      });

      await deployment.failover();

      expect(deployment.master.running).toBe(false);
      const after = await deployment.currentMaster();
      expect(after).toEqual({ host: '127.0.0.1', port: deployment.replica.port });
      for (const sentinel of deployment.sentinels) {
        const reply = await withRedisClient(sentinel, (client) =>
          client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'conveyor'),
        );
        expect(reply).toEqual(['127.0.0.1', String(deployment.replica.port)]);
      }
      await withRedisClient(deployment.replica, async (client) => {
        expect((await client.role())[0]).toBe('master');
        expect(await client.get('conveyor:replicated')).toBe('yes');
        expect(await client.set('conveyor:after-failover', 'writable')).toBe('OK');
      });
      expect(deployment.switches()).toBe(1);

      // No replica while the old master is down: the wait says so, quoting the sentinels.
      await expect(deployment.waitForReplica(300)).rejects.toThrow(/\+switch-master conveyor/);
      await deployment.master.restart();
      await withRedisClient(deployment.master, (client) =>
        client.call('REPLICAOF', '127.0.0.1', String(deployment.replica.port)),
      );
      await deployment.waitForReplica();
      await withRedisClient(deployment.replica, async (client) => {
        expect(await client.wait(1, 2000)).toBe(1);
      });
    } finally {
      await deployment.stop();
    }
  });

  it('runs with a single sentinel under its own master name', async () => {
    const deployment = await startRedisSentinel({ masterName: 'solo', sentinels: 1 });
    try {
      expect(await deployment.currentMaster()).toEqual({
        host: '127.0.0.1',
        port: deployment.master.port,
      });
    } finally {
      await deployment.stop();
    }
  });
});

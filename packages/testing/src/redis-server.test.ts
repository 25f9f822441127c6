import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';
import { withRedisClient } from './with-redis-client.js';

describe('RedisServer', () => {
  describe('a default server', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start();
    });
    afterAll(() => server.stop());

    it('answers PING on 127.0.0.1 with the configured persistence and eviction policy', async () => {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      const client = server.client();
      try {
        expect(await client.ping()).toBe('PONG');
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await client.config('GET', 'maxmemory-policy')).toEqual([
          'maxmemory-policy',
          'noeviction',
        ]);
        expect(await client.config('GET', 'dir')).toEqual(['dir', server.dir]);
        expect(await client.config('GET', 'save')).toEqual(['save', '']);
      } finally {
        client.disconnect();
      }
      expect(server.logs()).toContain('Ready to accept connections');
    });

    it('pause() freezes it and resume() brings it back', async () => {
      const client = server.client({ commandTimeout: 300 });
      try {
        expect(await client.ping()).toBe('PONG');
        server.pause();
        await expect(client.ping()).rejects.toThrow(/timed out/i);
        server.resume();
        expect(await client.ping()).toBe('PONG');
      } finally {
        server.resume();
        client.disconnect();
      }
    });
  });

  it('keeps AOF data across a SIGKILL and a restart on the same port', async () => {
    const server = await RedisServer.start({ extraArgs: ['--appendfsync', 'always'] });
    try {
      const { port, dir } = server;
      const firstPid = server.pid;
      await withRedisClient(server, (client) => client.set('conveyor:survives', 'yes'));

      await server.kill('SIGKILL');
      expect(server.running).toBe(false);
      await expect(withRedisClient(server, (client) => client.ping())).rejects.toThrow();

      await server.restart();
      expect(server.pid).not.toBe(firstPid);
      expect([server.port, server.dir]).toEqual([port, dir]);
      expect(await withRedisClient(server, (client) => client.get('conveyor:survives'))).toBe(
        'yes',
      );
      expect(server.logs()).toContain('--- restart ---');
    } finally {
      await server.stop();
    }
  });

  it('without appendonly, a restart comes back empty', async () => {
    const server = await RedisServer.start({ appendonly: false });
    try {
      await withRedisClient(server, (client) => client.set('conveyor:lost', 'yes'));
      await server.restart();
      expect(await withRedisClient(server, (client) => client.exists('conveyor:lost'))).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('requires the password and puts it in the URL', async () => {
    const server = await RedisServer.start({ password: 's3cret/+', appendonly: false });
    try {
      expect(server.url).toBe(`redis://:s3cret%2F%2B@127.0.0.1:${server.port}`);
      const anonymous = withRedisClient({ host: server.host, port: server.port }, (client) =>
        client.get('x'),
      );
      await expect(anonymous).rejects.toThrow(/NOAUTH/);
      expect(await withRedisClient(server, (client) => client.ping())).toBe('PONG');
    } finally {
      await server.stop();
    }
  });

  it('loads ACL users and keeps the default password alongside them', async () => {
    const server = await RedisServer.start({
      password: 'admin-pass',
      aclUsers: ['user app on >app-pass ~conveyor:* &* +@all'],
      appendonly: false,
    });
    try {
      const app = server.client({ username: 'app', password: 'app-pass' });
      try {
        expect(await app.set('conveyor:ok', '1')).toBe('OK');
        await expect(app.set('other:key', '1')).rejects.toThrow(/NOPERM/);
      } finally {
        app.disconnect();
      }
      expect(await withRedisClient(server, (client) => client.get('conveyor:ok'))).toBe('1');
    } finally {
      await server.stop();
    }
  });

  it('applies maxmemory, a config file, and lets later arguments override it', async () => {
    const configDir = await mkdtemp(join(tmpdir(), 'conveyor-conf-'));
    const configFile = join(configDir, 'redis.conf');
    await writeFile(configFile, 'maxmemory-policy allkeys-lru\nhz 20\n');
    const server = await RedisServer.start({
      configFile,
      maxmemory: '2mb',
      appendonly: false,
      extraArgs: ['--hz', '15'],
    }).finally(() => rm(configDir, { recursive: true, force: true }));
    try {
      const client = server.client();
      try {
        expect(await client.config('GET', 'maxmemory')).toEqual([
          'maxmemory',
          String(2 * 1024 * 1024),
        ]);
        // The option default is passed after the file, so it wins.
        expect(await client.config('GET', 'maxmemory-policy')).toEqual([
          'maxmemory-policy',
          'noeviction',
        ]);
        expect(await client.config('GET', 'hz')).toEqual(['hz', '15']);
        await expect(client.set('big', 'x'.repeat(3 * 1024 * 1024))).rejects.toThrow(/OOM/);
      } finally {
        client.disconnect();
      }
    } finally {
      await server.stop();
    }
  });

  it('rejects with the log tail when redis-server refuses its configuration', async () => {
    await expect(RedisServer.start({ extraArgs: ['--no-such-directive', 'yes'] })).rejects.toThrow(
      /exited \(code 1\) before it was ready:[\s\S]*no-such-directive/,
    );
  });

  it('stop() removes the temp folder and can be called twice', async () => {
    const server = await RedisServer.start({ appendonly: false });
    expect(existsSync(server.dir)).toBe(true);
    await Promise.all([server.stop(), server.stop()]);
    expect(existsSync(server.dir)).toBe(false);
    expect(server.running).toBe(false);
    await expect(server.restart()).rejects.toThrow(/was stopped/);
  });

  it('stop() gets past the refusal to shut down while a replica writes its first AOF', async () => {
    const master = await RedisServer.start({ extraArgs: ['--repl-diskless-sync-delay', '0'] });
    try {
      const replica = await RedisServer.start({
        replicaOf: { host: master.host, port: master.port },
      });
      await waitFor(
        () =>
          withRedisClient(replica, async (client) =>
            (await client.info('replication')).includes('master_link_status:up'),
          ),
        { description: 'the replica to sync' },
      );
      const started = Date.now();
      await replica.stop();
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await master.stop();
    }
  });

  it('stop() ends a paused server too', async () => {
    const server = await RedisServer.start({ appendonly: false });
    server.pause();
    const started = Date.now();
    await server.stop();
    expect(server.running).toBe(false);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

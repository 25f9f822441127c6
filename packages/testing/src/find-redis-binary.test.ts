import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBinarySearchPath, findRedisBinary } from './find-redis-binary.js';
import { RedisNotInstalledError } from './redis-not-installed-error.js';

describe('findRedisBinary', () => {
  it('finds the installed redis-server', () => {
    expect(findRedisBinary('redis-server')).toMatch(/\/redis-server$/);
  });

  it('searches PATH first, then the usual folders', () => {
    const dirs = defaultBinarySearchPath({ PATH: '/opt/redis/bin:/usr/bin' });
    expect(dirs.slice(0, 3)).toEqual(['/opt/redis/bin', '/usr/bin', '/usr/local/bin']);
  });

  it('explains how to install a binary missing from the searched folders', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'conveyor-no-redis-'));
    try {
      // A file that is not executable does not count.
      await writeFile(join(empty, 'redis-cli'), '#!/bin/sh\n', { mode: 0o644 });
      let error: unknown;
      try {
        findRedisBinary('redis-cli', [empty]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RedisNotInstalledError);
      expect(error).toMatchObject({ code: 'REDIS_NOT_INSTALLED', searched: [empty] });
      expect((error as Error).message).toBe(
        'redis-cli is not installed: run `apt-get install redis-tools` (Debian/Ubuntu) or ' +
          '`brew install redis` (tests always start their own redis-server)',
      );
      expect(() => findRedisBinary('redis-server', [empty])).toThrow(
        'redis-server is not installed: run `apt-get install redis-server`',
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

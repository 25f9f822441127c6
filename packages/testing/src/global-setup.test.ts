import { describe, expect, expectTypeOf, inject, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import setup from './global-setup.js';
import { withRedisClient } from './with-redis-client.js';

describe('global setup', () => {
  it('provides the URL of a running Redis and stops it on teardown', async () => {
    const provided: Record<string, unknown> = {};
    const project = {
      provide: (key: string, value: unknown) => {
        provided[key] = value;
      },
    } as unknown as TestProject;

    const teardown = await setup(project);
    const url = new URL(String(provided.redisUrl));
    const address = { host: url.hostname, port: Number(url.port) };
    expect(url.protocol).toBe('redis:');
    expect(await withRedisClient(address, (client) => client.ping())).toBe('PONG');

    await teardown();
    await expect(withRedisClient(address, (client) => client.ping())).rejects.toThrow();
  });

  it("types inject('redisUrl') as a string", () => {
    expectTypeOf(inject<'redisUrl'>).returns.toEqualTypeOf<string>();
  });
});

import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';
import './provided-context.js';

/**
 * Vitest global setup: one real redis-server for the whole run, on a free port in a temporary
 * folder, handed to tests as `inject('redisUrl')`. Tests never use a Redis the developer runs:
 * without redis-server installed the run fails with the install hint.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // No AOF: nothing in a shared server needs to survive a restart, and fsyncs cost time.
  const server = await RedisServer.start({ appendonly: false });
  project.provide('redisUrl', server.url);
  return () => server.stop();
}

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Producer } from '@conveyor/queues';
import {
  closeRedisConnection,
  createRedisConnection,
  type RedisConfig,
  type RedisConnection,
} from '@conveyor/redis';
import { logRedisErrors } from '@conveyor/runtime';
import { createLogger } from '@conveyor/telemetry';
import type { Queue } from 'bullmq';
import { inject } from 'vitest';
import { createApp, type DashboardAppDeps, dashboardLinks } from '../../src/app.js';
import type { BoardQueue } from '../../src/board-queue.js';
import { consoleReads } from '../../src/console/console-reads.js';
import { createConsoleEventHub } from '../../src/console/create-console-event-hub.js';
import { closeBoardQueues, createBoardQueues } from '../../src/create-board-queues.js';
import {
  createDashboardServer,
  type DashboardServerLimits,
} from '../../src/create-dashboard-server.js';
import type { DashboardConfig } from '../../src/dashboard-config.js';
import { loadEnvironment } from '../../src/env.js';

/** Credentials every test dashboard is started with, unless the test overrides them. */
export const TEST_CREDENTIALS = { username: 'operator', password: 'correct-horse-battery' };

/** A dashboard served in-process on 127.0.0.1 and a free port, on its own queue prefix. */
export interface TestDashboard {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Where Bull Board is: the origin plus the base path, ending with `/`. */
  boardUrl: string;
  /** Where the dead-letter queues' Bull Board is, ending with `/`. */
  deadLetterBoardUrl: string;
  /** Where the console is, ending with `/`. */
  consoleUrl: string;
  config: DashboardConfig;
  redisConfig: RedisConfig;
  queues: readonly BoardQueue[];
  /** The dashboard's producer (the console replays with it); tests enqueue through it too. */
  producer: Producer;
  /** The board's BullMQ queue of that name (catalog or dead-letter queue). */
  queue(name: string): Queue;
  /** Everything the dashboard logged so far, as JSON lines. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * Starts the dashboard the way `main.ts` does (environment parsed by `loadEnvironment`, one
 * `admin` connection, the board's queues, `createApp`, `createDashboardServer`) against the test run's Redis, with a fresh
 * `QUEUE_PREFIX` so that test files never see each other's jobs.
 */
export async function startTestDashboard(
  env: Record<string, string> = {},
  options: Pick<DashboardAppDeps, 'responseTimeoutMs' | 'loginThrottle'> & {
    serverLimits?: DashboardServerLimits;
  } = {},
): Promise<TestDashboard> {
  const { serverLimits, ...appOptions } = options;
  const redisUrl = inject('redisUrl');
  // Never fall back to a Redis on 6379 that may be the developer's own.
  if (!redisUrl) throw new Error('no test Redis: run with @conveyor/testing/global-setup');
  const { redis: redisConfig, dashboard: config } = loadEnvironment({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: `dash-${randomUUID().slice(0, 8)}`,
    DASHBOARD_USERNAME: TEST_CREDENTIALS.username,
    DASHBOARD_PASSWORD: TEST_CREDENTIALS.password,
    ...env,
  });
  const lines: string[] = [];
  const logger = createLogger({
    name: 'dashboard',
    level: 'debug',
    destination: { write: (line: string) => lines.push(line) },
  });
  const connection: RedisConnection = createRedisConnection(redisConfig, 'admin', {
    connectionName: 'conveyor:dashboard:test',
  });
  logRedisErrors(connection, 'admin', logger);
  const queues = createBoardQueues({ connection, prefix: redisConfig.prefix, logger });
  const producer = new Producer({ connection, prefix: redisConfig.prefix });
  const consoleEvents = createConsoleEventHub({ redisConfig, queues, connection, logger });
  const app = createApp({
    config,
    queues,
    redis: connection,
    producer,
    events: consoleEvents.hub,
    reads: consoleReads(connection, redisConfig.prefix),
    logger,
    ...appOptions,
  });
  const server = createDashboardServer(app, serverLimits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const links = dashboardLinks(config.basePath);

  return {
    origin,
    boardUrl: `${origin}${links.board}`,
    deadLetterBoardUrl: `${origin}${links.deadLetterBoard}`,
    consoleUrl: `${origin}${links.console}`,
    config,
    redisConfig,
    queues,
    producer,
    queue(name) {
      const found = queues.find(({ queue }) => queue.name === name);
      if (!found) throw new Error(`the board has no queue ${name}`);
      return found.queue;
    },
    logs: () => lines.join(''),
    async close() {
      await consoleEvents.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([closeBoardQueues(queues), producer.close()]);
      await closeRedisConnection(connection);
    },
  };
}

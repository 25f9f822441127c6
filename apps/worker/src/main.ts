import { ConfigError, createRedisConnection, describeRedisTarget } from '@conveyor/redis';
import { ProcessLifecycle } from '@conveyor/runtime';
import { createLogger } from '@conveyor/telemetry';
import { createWorkerApp } from './app.js';
import { loadEnvironment } from './env.js';
import type { WorkerConnections } from './worker-connections.js';

/** Longest wait for Redis before the workers start anyway (they wait for it by themselves). */
const CONNECT_WAIT_MS = 3000;

/**
 * The worker process's entry point, and the only place that reads `process.env`, connects to
 * Redis and handles signals (through `ProcessLifecycle`). SIGTERM or SIGINT: stop taking jobs,
 * let running ones finish for up to SHUTDOWN_TIMEOUT_MS, close, exit 0 (1 if the timeout cut jobs
 * short); a second signal exits at once with 128 + its number. A fatal error exits 1 so a
 * supervisor restarts the process.
 */
async function main(): Promise<void> {
  let environment: ReturnType<typeof loadEnvironment>;
  try {
    environment = loadEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { redis, worker: config } = environment;
  const logger = createLogger({ name: 'worker', level: config.logLevel });

  const connections: WorkerConnections = {
    worker: createRedisConnection(redis, 'worker', { connectionName: 'conveyor:worker' }),
    admin: createRedisConnection(redis, 'admin', { connectionName: 'conveyor:worker:admin' }),
  };
  const lifecycle = new ProcessLifecycle({
    logger,
    connections: { worker: connections.worker, admin: connections.admin },
    // Fail-fast connections answer "not connected" while connecting: give Redis a moment first.
    waitForConnectionsMs: CONNECT_WAIT_MS,
  });
  const app = createWorkerApp({ config, prefix: redis.prefix, connections, logger });
  logger.info({ redis: describeRedisTarget(redis), prefix: redis.prefix }, 'starting worker');
  await lifecycle.run({
    start: async () => {
      await app.start();
      logger.info({ queues: config.queues, httpPort: app.httpPort ?? null }, 'worker started');
    },
    stop: async () => {
      const result = await app.stop();
      logger.info({ drained: result.drained, abandoned: result.abandoned }, 'jobs stopped');
      // Jobs cut short by SHUTDOWN_TIMEOUT_MS are taken over elsewhere, but say so.
      return result.drained ? 0 : 1;
    },
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    // The logger may not exist yet; one JSON line on stderr keeps the format.
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', msg: 'worker failed to start', err: { message: (error as Error)?.message, code: (error as { code?: unknown })?.code, stack: (error as Error)?.stack } })}\n`,
    );
  }
  process.exit(1);
});

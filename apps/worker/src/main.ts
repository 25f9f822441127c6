import { constants } from 'node:os';
import {
  ConfigError,
  closeRedisConnection,
  createRedisConnection,
  describeRedisTarget,
  onCredentialsRejected,
} from '@conveyor/redis';
import { createLogger, type Logger } from '@conveyor/telemetry';
import { createWorkerApp, type WorkerApp } from './app.js';
import { loadEnvironment } from './env.js';
import type { WorkerConnections } from './worker-connections.js';

/**
 * The worker process's entry point, and the only place that reads `process.env`, connects to
 * Redis and handles signals. SIGTERM or SIGINT: stop taking jobs, let running ones finish for up
 * to SHUTDOWN_TIMEOUT_MS, close, exit 0 (1 if the timeout cut jobs short); a second signal exits
 * at once with 128 + its number. A fatal error exits 1 so a supervisor restarts the process.
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
  installFatalHandlers(logger);

  const connections: WorkerConnections = {
    worker: createRedisConnection(redis, 'worker', { connectionName: 'conveyor:worker' }),
    admin: createRedisConnection(redis, 'admin', { connectionName: 'conveyor:worker:admin' }),
  };
  // ioredis reports each failed reconnect as an 'error' event; it reconnects by itself.
  for (const [role, connection] of Object.entries(connections)) {
    connection.on('error', (error: Error) =>
      logger.warn({ role, err: error.message }, 'Redis connection error'),
    );
  }
  // Wrong credentials never fix themselves: stop with the reason rather than retry forever.
  onCredentialsRejected(connections.admin, (error) => {
    logger.fatal({ code: error.code }, error.message);
    process.exit(1);
  });
  const app = createWorkerApp({ config, prefix: redis.prefix, connections, logger });
  installSignalHandlers(app, connections, logger);
  logger.info({ redis: describeRedisTarget(redis), prefix: redis.prefix }, 'starting worker');
  await app.start();
  logger.info({ queues: config.queues, httpPort: app.httpPort ?? null }, 'worker started');
}

function installSignalHandlers(
  app: WorkerApp,
  connections: WorkerConnections,
  logger: Logger,
): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now, running jobs will be taken over');
      process.exit(128 + (constants.signals[signal] ?? 1));
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    void (async () => {
      const result = await app.stop();
      await Promise.all(
        Object.values(connections).map((connection) => closeRedisConnection(connection)),
      );
      logger.info({ drained: result.drained, abandoned: result.abandoned }, 'shutdown complete');
      process.exit(result.drained ? 0 : 1);
    })().catch((error: unknown) => {
      logger.fatal({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function installFatalHandlers(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting so the supervisor restarts us');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting so the supervisor restarts us');
    process.exit(1);
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

import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { Producer } from '@conveyor/queues';
import {
  ConfigError,
  closeRedisConnection,
  createRedisConnection,
  describeRedisTarget,
  onCredentialsRejected,
  waitUntilReady,
} from '@conveyor/redis';
import { createLogger, createMetricsRegistry } from '@conveyor/telemetry';
import { createApp } from './app.js';
import type { AppConfig } from './app-config.js';
import { checkRedisAtStart } from './check-redis-at-start.js';
import { systemClock } from './clock.js';
import { ApiSupervisor } from './cluster/api-supervisor.js';
import { clusterMetrics } from './cluster/cluster-metrics.js';
import { loadConfig } from './env.js';
import { GracefulShutdown } from './graceful-shutdown.js';
import { createJobEventHub } from './lifecycle/create-job-event-hub.js';
import { watchConnection } from './watch-connection.js';

/** Longest wait for the queues, then the connections, to close once HTTP has drained. */
const CLOSE_TIMEOUT_MS = 3000;
/** Longest a process of a multi-process API waits for Redis before it takes connections anyway. */
const LISTEN_WAIT_MS = 10_000;

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The configuration, or exit 1 with the readable message (no stack) when it is invalid. */
function readConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`conveyor api: ${error.message}\n`);
    process.exit(1);
  }
}

/**
 * The API process: reads the environment, connects to Redis (a fail-fast producer connection and
 * a fail-fast admin one), serves HTTP, and on SIGTERM/SIGINT shuts down gracefully. With
 * `API_PROCESSES` above 1 this process becomes the primary that runs and supervises that many
 * such processes on the same port.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'api', level: config.api.logLevel });
  if (config.api.processes > 1 && cluster.isPrimary) {
    new ApiSupervisor({
      processes: config.api.processes,
      logger,
      shutdownTimeoutMs: config.api.shutdownTimeoutMs,
    }).start();
    return;
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(1);
  });

  logger.info(
    { redis: describeRedisTarget(config.redis), prefix: config.redis.prefix },
    'connecting to Redis',
  );
  const producerConnection = createRedisConnection(config.redis, 'producer', {
    connectionName: 'conveyor:api:producer',
  });
  const adminConnection = createRedisConnection(config.redis, 'admin', {
    connectionName: 'conveyor:api:admin',
  });
  watchConnection(producerConnection, 'producer', logger);
  watchConnection(adminConnection, 'admin', logger);
  // Wrong credentials never fix themselves: stop with the reason rather than retry forever.
  onCredentialsRejected(adminConnection, (error) => {
    logger.fatal({ code: error.code }, error.message);
    const exit = () => process.exit(1);
    // Under a primary, say so first: it would otherwise replace this process, again and again.
    if (cluster.isWorker && process.send) {
      process.send({ type: 'conveyor:fatal', reason: error.message }, undefined, undefined, exit);
    } else exit();
  });

  const producer = new Producer({
    connection: producerConnection,
    prefix: config.redis.prefix,
    maxJobBytes: config.api.maxJobBytes,
    timeoutMs: config.redis.commandTimeoutMs + 500,
    onMarkerError: (error, queue) =>
      logger.warn({ err: error, queue }, 'dedupe marker not written; the job is stored'),
  });

  const events = createJobEventHub(config, producer, (error, queue) =>
    logger.warn({ err: error, queue }, 'job events: read failed; QueueEvents retries'),
  );

  const server = createServer();
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const shutdown = new GracefulShutdown({
    server,
    logger,
    timeoutMs: config.api.shutdownTimeoutMs,
    // Waits and event streams answer now rather than hold the drain to its timeout.
    beforeDrain: () => events.closeSubscribers(),
    closeResources: async () => {
      await settleWithin(Promise.all([producer.close(), events.close()]), CLOSE_TIMEOUT_MS);
      await settleWithin(
        Promise.all([
          closeRedisConnection(producerConnection),
          closeRedisConnection(adminConnection),
        ]),
        CLOSE_TIMEOUT_MS,
      );
    },
  });
  const metrics = createMetricsRegistry('api');
  server.on(
    'request',
    createApp({
      config,
      producer,
      producerConnection,
      adminConnection,
      logger,
      metrics,
      ...(cluster.isWorker ? { metricsText: clusterMetrics(metrics) } : {}),
      clock: systemClock,
      events,
      isShuttingDown: () => shutdown.isStopping,
    }),
  );
  if (cluster.isWorker) shutdown.listenToPrimary();
  else shutdown.listen();
  checkRedisAtStart(adminConnection, logger, () => void shutdown.stop('redis too old', 1));
  if (config.api.slackSigningSecret === undefined) {
    logger.warn('SLACK_SIGNING_SECRET is not set: /slack/* answers 503 SLACK_NOT_CONFIGURED');
  }

  if (cluster.isWorker) {
    // Its sibling processes serve meanwhile, so a new or replacing process takes connections
    // only once it can store jobs; alone, a process listens at once to answer 503 with a reason.
    const ready = await Promise.all([
      waitUntilReady(producerConnection, LISTEN_WAIT_MS),
      waitUntilReady(adminConnection, LISTEN_WAIT_MS),
    ]).then(
      (states) => states.every(Boolean),
      () => false,
    );
    if (!ready) logger.warn('Redis is not ready yet; listening anyway (answers 503 until it is)');
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.api.port, config.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    process.stderr.write(
      `conveyor api: cannot listen on ${config.api.host}:${config.api.port}: ${reason}\n`,
    );
    process.exit(1);
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.api.port;
  logger.info({ url: `http://${config.api.host}:${port}`, port }, 'api listening');
}

await main();

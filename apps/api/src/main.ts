import cluster from 'node:cluster';
import { Producer } from '@conveyor/queues';
import { ConfigError, createRedisConnection, describeRedisTarget } from '@conveyor/redis';
import { listenHttpServer, ProcessLifecycle, settleWithin } from '@conveyor/runtime';
import { createLogger, createMetricsRegistry } from '@conveyor/telemetry';
import { createApp } from './app.js';
import { ApiSupervisor } from './cluster/api-supervisor.js';
import { clusterMetrics } from './cluster/cluster-metrics.js';
import { listenToPrimary } from './cluster/listen-to-primary.js';
import { tellPrimary } from './cluster/tell-primary.js';
import type { AppConfig } from './config/app-config.js';
import { systemClock } from './config/clock.js';
import { loadConfig } from './env.js';
import { createApiServer } from './http/create-api-server.js';
import { HttpDrain } from './http/http-drain.js';
import { createJobEventHub } from './lifecycle/create-job-event-hub.js';
import { MetricsExporterLease } from './metrics/metrics-exporter-lease.js';

/** Longest wait for the queues to close once HTTP has drained. */
const CLOSE_TIMEOUT_MS = 3000;
/** Longest a process of a multi-process API waits for Redis before it takes connections anyway. */
const LISTEN_WAIT_MS = 10_000;

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
 * a fail-fast admin one), serves HTTP, and stops as every Conveyor process does (see
 * `ProcessLifecycle`). With `API_PROCESSES` above 1 this process becomes the primary that runs
 * and supervises that many such processes on the same port.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ name: 'api', level: config.api.logLevel });
  if (config.api.processes > 1 && cluster.isPrimary) {
    new ApiSupervisor({
      processes: config.api.processes,
      logger,
      shutdownTimeoutMs: config.api.shutdownTimeoutMs,
      nodeOptions: process.env.NODE_OPTIONS,
    }).start();
    return;
  }

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
  const lifecycle = new ProcessLifecycle({
    logger,
    connections: { producer: producerConnection, admin: adminConnection },
    // Under a primary, siblings serve meanwhile, so a new or replacing process takes connections
    // only once it can store jobs; alone, a process listens at once to answer 503 with a reason.
    ...(cluster.isWorker
      ? {
          waitForConnectionsMs: LISTEN_WAIT_MS,
          // The primary owns the signals and would otherwise replace this process again and again.
          secondSignalExits: false,
          onPermanentFailure: tellPrimary,
        }
      : {}),
  });

  const producer = new Producer({
    connection: producerConnection,
    prefix: config.redis.prefix,
    maxJobBytes: config.api.maxJobBytes,
    timeoutMs: config.redis.commandTimeoutMs + 500,
    ...(config.redis.replicaAck ? { replicaAck: config.redis.replicaAck } : {}),
    onMarkerError: (error, queue) =>
      logger.warn({ err: error, queue }, 'dedupe marker not written; the job is stored'),
    search: {
      onError: (error, queueKey) =>
        logger.warn({ err: error, queueKey }, 'search index not written; the job is stored'),
    },
  });

  const events = createJobEventHub(config, producer, (error, queue) =>
    logger.warn({ err: error, queue }, 'job events: read failed; QueueEvents retries'),
  );

  const exporterLease = new MetricsExporterLease({
    connection: adminConnection,
    prefix: config.redis.prefix,
    ttlMs: config.api.metricsExporterLeaseMs,
  });

  const server = createApiServer({
    maxConnections: config.api.maxConnections,
    keepAliveTimeoutMs: config.api.keepAliveTimeoutMs,
  });
  const drain = new HttpDrain({ server, logger, timeoutMs: config.api.shutdownTimeoutMs });
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
      exporterLease,
      ...(cluster.isWorker ? { metricsText: clusterMetrics(metrics) } : {}),
      clock: systemClock,
      events,
      isShuttingDown: () => lifecycle.isStopping,
    }),
  );
  if (cluster.isWorker) listenToPrimary(lifecycle);
  if (config.api.slackOAuth) {
    logger.info(
      { scopes: config.api.slackOAuth.scopes },
      'Slack install flow on: GET /slack/install, GET /slack/oauth_redirect',
    );
  }
  if (config.api.connectionLimitNote !== undefined) logger.warn(config.api.connectionLimitNote);
  if (config.api.slackSigningSecret === undefined) {
    logger.warn('SLACK_SIGNING_SECRET is not set: /slack/* answers 503 SLACK_NOT_CONFIGURED');
  }

  await lifecycle.run({
    start: async () => {
      await listenHttpServer(server, config.api.port, config.api.host);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.api.port;
      logger.info({ url: `http://${config.api.host}:${port}`, port }, 'api listening');
    },
    stop: async () => {
      // Waits and event streams answer now rather than hold the drain to its timeout.
      events.closeSubscribers();
      await drain.drain();
      // Another API exports the Redis-wide gauges from its next scrape, not after the lease's ttl.
      await settleWithin(exporterLease.release(), CLOSE_TIMEOUT_MS);
      await settleWithin(Promise.all([producer.close(), events.close()]), CLOSE_TIMEOUT_MS);
      return 0;
    },
  });
}

await main();

/**
 * The dashboard process: validates the environment, connects to Redis, serves Bull Board, and
 * on SIGTERM/SIGINT stops accepting, closes queues and connections and exits 0 (a second signal
 * exits at once with 128 + its number; see `ProcessLifecycle`). A configuration error prints one
 * readable message and exits 1.
 */
import type { AddressInfo } from 'node:net';
import { Producer } from '@conveyor/queues';
import { ConfigError, createRedisConnection, describeRedisTarget } from '@conveyor/redis';
import { listenHttpServer, ProcessLifecycle } from '@conveyor/runtime';
import { createLogger } from '@conveyor/telemetry';
import { createApp } from './app.js';
import { consoleReads } from './console/console-reads.js';
import { createConsoleEventHub } from './console/create-console-event-hub.js';
import { closeBoardQueues, createBoardQueues } from './create-board-queues.js';
import { createDashboardServer } from './create-dashboard-server.js';
import { type DashboardEnvironment, loadEnvironment } from './env.js';

/** Longest a clean shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** In-flight requests get this long to finish before their connections are cut. */
const DRAIN_MS = 3000;

/** Parses the environment, or ends the process with the ConfigError's message and no stack. */
function readEnvironment(): DashboardEnvironment {
  try {
    return loadEnvironment();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`conveyor dashboard: ${error.message}\n`);
    process.exit(1);
  }
}

const { redis: redisConfig, dashboard: config } = readEnvironment();
const logger = createLogger({ name: 'dashboard', level: config.logLevel });

if (!config.credentials) {
  logger.warn('DASHBOARD_AUTH=off: the dashboard is open to anyone who can reach it');
}
logger.info({ redis: describeRedisTarget(redisConfig), prefix: redisConfig.prefix }, 'starting');

const connection = createRedisConnection(redisConfig, 'admin', {
  connectionName: 'conveyor:dashboard',
});
const lifecycle = new ProcessLifecycle({
  logger,
  connections: { admin: connection },
  // The board stays useful to look at a Redis too old for jobs; /readyz says why it is not ready.
  onRedisTooOld: 'report',
  stopTimeoutMs: SHUTDOWN_TIMEOUT_MS,
});

const queues = createBoardQueues({ connection, prefix: redisConfig.prefix, logger });
const producer = new Producer({
  connection,
  prefix: redisConfig.prefix,
  onError: (error, queue) => logger.debug({ err: error, queue }, 'queue error'),
});
const consoleEvents = createConsoleEventHub({ redisConfig, queues, connection, logger });
const app = createApp({
  config,
  queues,
  redis: connection,
  producer,
  events: consoleEvents.hub,
  reads: consoleReads(connection, redisConfig.prefix),
  logger,
});
const server = createDashboardServer(app);

await lifecycle.run({
  start: async () => {
    await listenHttpServer(server, config.port, config.host);
    const { port } = server.address() as AddressInfo;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const path = config.basePath === '/' ? '/' : `${config.basePath}/`;
    logger.info(
      { url: `http://${shownHost}:${port}${path}`, readOnly: config.readOnly },
      'dashboard listening',
    );
  },
  stop: async () => {
    // Ends the console's event streams, which would otherwise hold their connections open.
    await consoleEvents.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Bull Board's UI holds keep-alive connections and polls; do not wait for it to let go.
    const drain = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    await closed;
    clearTimeout(drain);
    await Promise.all([closeBoardQueues(queues), producer.close()]);
    return 0;
  },
});

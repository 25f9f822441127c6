/**
 * The dashboard process: validates the environment, connects to Redis, serves Bull Board, and
 * on SIGTERM/SIGINT stops accepting, closes queues and connections and exits 0 (a second signal
 * exits at once). A configuration error prints one readable message and exits 1.
 */
import type { AddressInfo } from 'node:net';
import {
  ConfigError,
  checkRedis,
  closeRedisConnection,
  createRedisConnection,
  describeRedisTarget,
  onCredentialsRejected,
} from '@conveyor/redis';
import { createLogger } from '@conveyor/telemetry';
import { createApp } from './app.js';
import { closeBoardQueues, createBoardQueues } from './create-board-queues.js';
import { createDashboardServer } from './create-dashboard-server.js';
import { type DashboardEnvironment, loadEnvironment } from './env.js';
import { logRedisErrors } from './log-redis-errors.js';

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
logRedisErrors(connection, logger);
// Wrong credentials never fix themselves: stop with the reason rather than retry forever.
onCredentialsRejected(connection, (error) => {
  logger.fatal({ code: error.code }, error.message);
  process.exit(1);
});
// Version and eviction policy are told once at start; /readyz keeps reporting them after.
connection.once('ready', () => {
  void checkRedis(connection, { timeoutMs: 5000 }).then((report) => {
    for (const warning of report.warnings) logger.warn(warning);
    if (report.ready) logger.info({ latencyMs: report.latencyMs }, 'Redis ready');
    else logger.warn({ problems: report.problems }, 'Redis not safe for jobs: /readyz answers 503');
  });
});

const queues = createBoardQueues({ connection, prefix: redisConfig.prefix, logger });
const app = createApp({ config, queues, redis: connection, logger });
const server = createDashboardServer(app);
server.listen(config.port, config.host);

server.on('error', (error) => {
  logger.fatal({ err: error }, 'cannot listen');
  process.exit(1);
});
server.on('listening', () => {
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const path = config.basePath === '/' ? '/' : `${config.basePath}/`;
  logger.info(
    { url: `http://${shownHost}:${port}${path}`, readOnly: config.readOnly },
    'dashboard listening',
  );
});

let stopping = false;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  setTimeout(() => {
    logger.error('shutdown took too long: exiting');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Bull Board's UI holds keep-alive connections and polls; do not wait for it to let go.
  const drain = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
  await closed;
  clearTimeout(drain);
  await closeBoardQueues(queues);
  await closeRedisConnection(connection);
  logger.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

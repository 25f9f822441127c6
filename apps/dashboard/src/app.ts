import type { Producer } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { compileTrustProxy, FailureThrottle, type FailureThrottleOptions } from '@conveyor/runtime';
import { createMetricsRegistry, type Logger, type Registry } from '@conveyor/telemetry';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { basicAuth } from './basic-auth.js';
import type { BoardQueue } from './board-queue.js';
import type { ConsoleEventHub } from './console/console-event-hub.js';
import type { ConsoleReads } from './console/console-reads.js';
import { type ConsoleLinks, createConsoleRouter } from './console/create-console-router.js';
import { BOARD_TITLE, createBoardRouter } from './create-board-router.js';
import type { DashboardConfig } from './dashboard-config.js';
import { healthRoutes } from './health-routes.js';
import { metricsRoute } from './metrics-route.js';
import { requestLogger } from './request-logger.js';
import { requestPath } from './request-path.js';
import { responseDeadline } from './response-deadline.js';
import { sameOriginGuard } from './same-origin-guard.js';
import { securityHeaders } from './security-headers.js';

/** What {@link createApp} is built from; the caller owns (and closes) the connections. */
export interface DashboardAppDeps {
  config: Pick<DashboardConfig, 'credentials' | 'readOnly' | 'basePath' | 'trustProxy'>;
  /** The queues to show, from `createBoardQueues`. */
  queues: readonly BoardQueue[];
  /** Connection `/readyz` checks, and the console's cancels write with. */
  redis: RedisConnection;
  /** Lists and replays dead letters for the console (on the same fail-fast connection). */
  producer: Producer;
  /** The console's live feed; the caller closes it. */
  events: ConsoleEventHub;
  /**
   * The console's tenant listing and job search (`consoleReads`).
   * @defaultValue neither: the console leaves those panels out
   */
  reads?: ConsoleReads;
  logger: Logger;
  /**
   * What `/metrics` serves.
   * @defaultValue a new registry of this process's Node metrics, labelled `app="dashboard"`
   */
  metrics?: Registry;
  /**
   * Longest a board request may wait on Redis before it is answered 503.
   * @defaultValue 10_000
   */
  responseTimeoutMs?: number;
  /**
   * How many wrong logins a source address may send, and in what window, before it is answered
   * 429 until the window ends.
   * @defaultValue the {@link FailureThrottle} defaults: 10 a minute
   */
  loginThrottle?: FailureThrottleOptions;
}

/** Where each page of the dashboard is served, from the base path. */
export function dashboardLinks(basePath: string): ConsoleLinks {
  const prefix = basePath === '/' ? '' : basePath;
  return {
    board: `${prefix}/`,
    deadLetterBoard: `${prefix}/dead-letters/`,
    console: `${prefix}/console/`,
  };
}

/**
 * Builds the dashboard's Express app: open `/healthz`, `/readyz` and `/metrics`, then the
 * cross-site request guard and HTTP Basic auth (unless configured off) in front of, under the
 * base path: the console (`console/`), Bull Board over the dead-letter queues (`dead-letters/`)
 * and Bull Board over the catalog queues. Dead letters have a board of their own so that the main
 * board's overview counts only jobs that wait for a worker. Connects nothing and listens nowhere;
 * `main.ts` does that, tests call this with their own Redis.
 */
export function createApp(deps: DashboardAppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', compileTrustProxy(config.trustProxy));

  app.use(requestLogger(logger));
  app.use(securityHeaders());
  app.use(healthRoutes(deps.redis, logger));
  app.use(metricsRoute(deps.metrics ?? createMetricsRegistry('dashboard')));
  app.use(sameOriginGuard(logger));
  if (config.credentials) {
    const throttle = new FailureThrottle(deps.loginThrottle);
    app.use(basicAuth({ credentials: config.credentials, logger, throttle }));
  }
  if (config.basePath !== '/') {
    app.get('/', (_req, res) => res.redirect(302, `${config.basePath}/`));
  }
  const links = dashboardLinks(config.basePath);
  const menu = [
    { text: 'Console', url: links.console },
    { text: 'Queues', url: links.board },
    { text: 'Dead letters', url: links.deadLetterBoard },
  ];
  const deadline = responseDeadline(deps.responseTimeoutMs ?? 10_000);
  app.use(
    links.console.slice(0, -1),
    createConsoleRouter({
      queues: deps.queues,
      producer: deps.producer,
      connection: deps.redis,
      events: deps.events,
      readOnly: config.readOnly,
      links,
      logger,
      ...deps.reads,
    }),
  );
  app.use(
    links.deadLetterBoard.slice(0, -1),
    deadline,
    createBoardRouter({
      queues: deps.queues.filter((queue) => queue.deadLettersOf !== undefined),
      basePath: links.deadLetterBoard.slice(0, -1),
      readOnly: config.readOnly,
      title: `${BOARD_TITLE} · dead letters`,
      links: menu.filter((link) => link.url !== links.deadLetterBoard),
    }),
  );
  app.use(
    config.basePath,
    deadline,
    createBoardRouter({
      queues: deps.queues.filter((queue) => queue.deadLettersOf === undefined),
      basePath: config.basePath,
      readOnly: config.readOnly,
      links: menu.filter((link) => link.url !== links.board),
    }),
  );

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Not found' } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    logger.error({ err: error, method: req.method, path: requestPath(req) }, 'unhandled error');
    if (res.headersSent) return;
    res.status(500).json({ error: { code: 'INTERNAL', message: 'Internal error' } });
  };
  app.use(onError);
  return app;
}

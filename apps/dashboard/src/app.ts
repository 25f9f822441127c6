import type { RedisConnection } from '@conveyor/redis';
import { compileTrustProxy, FailureThrottle, type FailureThrottleOptions } from '@conveyor/runtime';
import { createMetricsRegistry, type Logger, type Registry } from '@conveyor/telemetry';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { basicAuth } from './basic-auth.js';
import type { BoardQueue } from './board-queue.js';
import { createBoardRouter } from './create-board-router.js';
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
  /** Connection `/readyz` checks. */
  redis: RedisConnection;
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

/**
 * Builds the dashboard's Express app: open `/healthz`, `/readyz` and `/metrics`, then the
 * cross-site request guard and HTTP Basic auth (unless configured off) in front of Bull Board at
 * the base path. Connects nothing and listens nowhere; `main.ts` does that, tests call this with
 * their own Redis.
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
  app.use(
    config.basePath,
    responseDeadline(deps.responseTimeoutMs ?? 10_000),
    createBoardRouter({
      queues: deps.queues,
      basePath: config.basePath,
      readOnly: config.readOnly,
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

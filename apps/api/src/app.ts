import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Producer } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import { addressKey, clientAddress, compileTrustProxy, FailureThrottle } from '@conveyor/runtime';
import type { Logger, Registry } from '@conveyor/telemetry';
import express, { type RequestHandler } from 'express';
import { AccessPolicy } from './auth/access-policy.js';
import { bearerAuth } from './auth/bearer-auth.js';
import { TokenMatcher } from './auth/token-matcher.js';
import type { AppConfig } from './config/app-config.js';
import { type Clock, systemClock } from './config/clock.js';
import { createEnqueueFastPath } from './enqueue/enqueue-fast-path.js';
import { createEnqueueHandler } from './enqueue/enqueue-handler.js';
import { createErrorHandler } from './http/error-handler.js';
import { MAX_BULK_JOBS } from './http/http-schemas.js';
import { notFoundHandler } from './http/not-found-handler.js';
import { guardMiddleware, type RequestGuard } from './http/request-guard.js';
import { createRequestLogger } from './http/request-logger.js';
import { createEventSubscribersGauge } from './lifecycle/event-subscribers-gauge.js';
import type { JobEventHub } from './lifecycle/job-event-hub.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { MetricsExporterLease } from './metrics/metrics-exporter-lease.js';
import { chargeRateLimit, rateLimitGuard } from './rate-limit/rate-limit-guard.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import { registerCancelRoute } from './routes/cancel-route.js';
import { registerEventStreamRoutes } from './routes/event-stream-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerJobRoutes } from './routes/job-routes.js';
import { registerMetricsRoute } from './routes/metrics-route.js';
import { registerOpenApiRoute } from './routes/openapi-route.js';
import { registerQueueRoutes } from './routes/queue-routes.js';
import type { RouteContext } from './routes/route-context.js';
import { registerScheduleRoutes } from './routes/schedule-routes.js';
import { registerSearchRoute } from './routes/search-route.js';
import { registerSlackRoutes } from './routes/slack-routes.js';
import { SlackOptionsRegistry } from './slack/slack-options-registry.js';
import { registerSlackOAuthRoutes } from './slack-oauth/slack-oauth-routes.js';

/** What {@link createApp} is built from; `main.ts` creates these once per process. */
export interface AppDependencies {
  config: AppConfig;
  /** The process's one Producer, on a fail-fast `producer` connection. */
  producer: Producer;
  /** The Producer's connection: `/readyz` reports not ready while it is down. */
  producerConnection: RedisConnection;
  /** A fail-fast `admin` connection: readiness checks and rate-limit counts. */
  adminConnection: RedisConnection;
  logger: Logger;
  /** Registry the app adds its metrics to and `/metrics` serves. */
  metrics: Registry;
  /**
   * What `/metrics` serves instead of `metrics` alone: in a multi-process API, the sum over every
   * process (see `clusterMetrics`).
   * @defaultValue `metrics.metrics()`
   */
  metricsText?: () => Promise<string>;
  /**
   * Elects the one API process of the fleet that exports the Redis-wide gauges; `main.ts`
   * releases it on shutdown.
   * @defaultValue a lease on `adminConnection` for `config.api.metricsExporterLeaseMs`
   */
  exporterLease?: MetricsExporterLease;
  /**
   * Time source for rate-limit windows and Slack timestamps.
   * @defaultValue the system clock
   */
  clock?: Clock;
  /**
   * True once the process began shutting down: `/readyz` answers 503 and answers close their
   * connection.
   * @defaultValue never
   */
  isShuttingDown?: () => boolean;
  /**
   * Options of Slack external selects, answered in the HTTP answer (`block_suggestion`,
   * `dialog_suggestion`).
   * @defaultValue none registered: every options request gets an empty list
   */
  slackOptions?: SlackOptionsRegistry;
  /** The process's one job-event subscription (`waitMs`, event streams); started by its creator. */
  events: JobEventHub;
}

/** Room for the request envelope (`name`, `options`) around a job's data. */
const ENVELOPE_ALLOWANCE_BYTES = 16 * 1024;
/** Bulk bodies are capped here whatever `MAX_JOB_BYTES` allows: parsing blocks the event loop. */
const MAX_BULK_BODY_BYTES = 16 * 1024 * 1024;

/** The API as a Node request listener: `http.createServer(createApp(deps))`. */
export type ApiRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds the producer API: an Express app with every route, authentication, rate limit, body
 * limits, logs, metrics and the one error handler, fronted by the enqueue fast path (the same
 * handler, guards, logs and metrics without Express's per-request cost). It opens nothing
 * itself: connections come in `deps`, so tests and `main.ts` share it.
 */
export function createApp(deps: AppDependencies): ApiRequestListener {
  const { config, producer, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const redisTimeoutMs = config.redis.commandTimeoutMs + 500;
  const { maxJobBytes } = config.api;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // One compiled function for Express's `req.ip` and the fast path's guards alike.
  const trustProxy = compileTrustProxy(config.api.trustProxy);
  app.set('trust proxy', trustProxy);

  const exporterLease =
    deps.exporterLease ??
    new MetricsExporterLease({
      connection: deps.adminConnection,
      prefix: config.redis.prefix,
      ttlMs: config.api.metricsExporterLeaseMs,
    });
  const { enqueued, requests: metrics } = createApiMetrics({
    registry: deps.metrics,
    producer,
    connection: deps.producerConnection,
    exporterLease,
    redisTimeoutMs,
  });
  createEventSubscribersGauge(deps.metrics, deps.events);
  const isShuttingDown = deps.isShuttingDown ?? (() => false);
  const requestLogger = createRequestLogger(logger, trustProxy);
  app.use(metrics.middleware());
  app.use(requestLogger as RequestHandler);
  app.use((_req, res, next) => {
    if (isShuttingDown()) res.setHeader('connection', 'close');
    next();
  });

  const { authFailuresPerMinute } = config.api;
  const throttling =
    authFailuresPerMinute > 0
      ? {
          throttle: new FailureThrottle({
            maxFailures: authFailuresPerMinute,
            now: () => clock.now(),
          }),
          keyOf: (req: IncomingMessage) => addressKey(clientAddress(req, trustProxy)),
        }
      : undefined;
  const guards: RequestGuard[] = [bearerAuth(new TokenMatcher(config.api.apiTokens), throttling)];
  let limiter: RateLimiter | undefined;
  if (config.api.rateLimitPerMinute > 0) {
    limiter = new RateLimiter({
      connection: deps.adminConnection,
      prefix: config.redis.prefix,
      limitPerMinute: config.api.rateLimitPerMinute,
      clock,
      onSyncError: (error) => logger.debug({ err: error }, 'rate-limit count not stored in Redis'),
    });
    guards.push(rateLimitGuard(limiter));
  }

  const ctx: RouteContext = {
    config,
    producer,
    producerConnection: deps.producerConnection,
    adminConnection: deps.adminConnection,
    clock,
    guard: guardMiddleware(guards),
    access: new AccessPolicy(config.api.clientScopes),
    chargeJobs: (res, count) => {
      if (limiter !== undefined && count > 0) chargeRateLimit(limiter, res, count);
    },
    enqueued,
    redisTimeoutMs,
    limits: {
      singleBodyBytes: maxJobBytes + ENVELOPE_ALLOWANCE_BYTES,
      bulkBodyBytes: Math.min(
        MAX_BULK_JOBS * (maxJobBytes + ENVELOPE_ALLOWANCE_BYTES),
        MAX_BULK_BODY_BYTES,
      ),
      slackBodyBytes: config.api.slackMaxBodyBytes,
    },
    isShuttingDown,
    events: deps.events,
    streams: {
      heartbeatMs: config.api.eventsHeartbeatMs,
      maxBufferedBytes: config.api.eventsMaxBufferedBytes,
    },
  };
  registerHealthRoutes(app, ctx);
  registerMetricsRoute(app, deps.metrics, deps.metricsText);
  registerOpenApiRoute(app);
  const enqueue = createEnqueueHandler(ctx);
  registerJobRoutes(app, ctx, enqueue);
  registerCancelRoute(app, ctx);
  registerQueueRoutes(app, ctx);
  registerEventStreamRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);
  registerSearchRoute(app, ctx);
  registerSlackRoutes(app, ctx, deps.slackOptions ?? new SlackOptionsRegistry());
  if (config.api.slackOAuth) registerSlackOAuthRoutes(app, ctx, config.api.slackOAuth, logger);
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));

  const fastPath = createEnqueueFastPath({
    handler: enqueue,
    guards,
    metrics,
    requestLogger,
    logger,
    isShuttingDown,
  });
  return (req, res) => {
    if (!fastPath(req, res)) app(req, res);
  };
}

import type { ServerResponse } from 'node:http';
import type { Producer } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { RequestHandler } from 'express';
import type { Counter } from 'prom-client';
import type { AccessPolicy } from '../auth/access-policy.js';
import type { AppConfig } from '../config/app-config.js';
import type { Clock } from '../config/clock.js';
import type { SseStreamOptions } from '../http/sse-stream.js';
import type { JobEventHub } from '../lifecycle/job-event-hub.js';

/** What the route modules share; built once by `createApp`. */
export interface RouteContext {
  config: AppConfig;
  /** The process's one Producer. */
  producer: Producer;
  /** The Producer's connection, whose state `/readyz` reports. */
  producerConnection: RedisConnection;
  /** Fail-fast connection for readiness checks. */
  adminConnection: RedisConnection;
  /** Time source for Slack timestamps. */
  clock: Clock;
  /** Authentication and rate limit, in that order, for every `/v1` route. */
  guard: RequestHandler;
  /**
   * Charges `count` more units to the request's client in the rate limit (a bulk's jobs beyond
   * the one its request counted); throws 429 when they do not fit. A no-op without a limit.
   */
  chargeJobs: (res: ServerResponse, count: number) => void;
  /** The clients' scopes: each `/v1` route checks its action on its queue. */
  access: AccessPolicy;
  /** `conveyor_jobs_enqueued_total{queue}` */
  enqueued: Counter<'queue'>;
  /** Upper bound for one Redis read (the Producer bounds writes the same way). */
  redisTimeoutMs: number;
  /** Body limits, from `MAX_JOB_BYTES`. */
  limits: { singleBodyBytes: number; bulkBodyBytes: number; slackBodyBytes: number };
  /** The process's one job-event subscription: `waitMs` waits and event streams. */
  events: JobEventHub;
  /** Heartbeat interval and slow-client bound of event streams. */
  streams: SseStreamOptions;
  /** True once a shutdown began: `/readyz` answers 503. */
  isShuttingDown: () => boolean;
}

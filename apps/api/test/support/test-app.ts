import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Producer, QUEUE_NAMES } from '@conveyor/queues';
import { createRedisConnection, type RedisConnection } from '@conveyor/redis';
import { createLogger, createMetricsRegistry } from '@conveyor/telemetry';
import { waitFor } from '@conveyor/testing';
import { inject } from 'vitest';
import { createApp } from '../../src/app.js';
import type { AppConfig } from '../../src/config/app-config.js';
import type { Clock } from '../../src/config/clock.js';
import { loadConfig } from '../../src/env.js';
import { createJobEventHub } from '../../src/lifecycle/create-job-event-hub.js';
import type { JobEventHub } from '../../src/lifecycle/job-event-hub.js';
import type { SlackOptionsRegistry } from '../../src/slack/slack-options-registry.js';
import { slackHeaders } from './slack-headers.js';

export const TOKEN = 'ci-secret-0123456789abcdef';
export const OTHER_TOKEN = 'other-secret-fedcba9876543210';
export const SLACK_SECRET = 'slack-signing-secret-0123456789ab';

/** Options for {@link startTestApp}. */
export interface TestAppOptions {
  /**
   * Redis to use.
   * @defaultValue the run's shared Redis (`inject('redisUrl')`)
   */
  redisUrl?: string;
  /** Environment overrides, on top of tokens, the Slack secret and a fresh queue prefix. */
  env?: Record<string, string | undefined>;
  /** @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue never */
  isShuttingDown?: () => boolean;
  /** @defaultValue none registered */
  slackOptions?: SlackOptionsRegistry;
}

/** A real API on 127.0.0.1 with a random port, its own queue prefix, and captured logs. */
export interface TestApp {
  url: string;
  config: AppConfig;
  producer: Producer;
  /** The app's job-event subscription. */
  events: JobEventHub;
  /** The producer's connection, for assertions on Redis. */
  redis: RedisConnection;
  /** Every log line written so far. */
  logs(): string;
  /** `fetch` against the app; `auth: false` leaves the bearer token out. */
  request(path: string, init?: RequestInit & { auth?: boolean | string }): Promise<Response>;
  /** POSTs JSON with the bearer token. */
  postJson(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POSTs an Events API envelope to `/slack/events`, signed with {@link SLACK_SECRET}. */
  postSlackEvent(envelope: unknown): Promise<Response>;
  /** Jobs stored in every catalog queue and dead-letter queue of this app's prefix. */
  countJobs(): Promise<number>;
  close(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    REDIS_URL: options.redisUrl ?? inject('redisUrl'),
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    REDIS_COMMAND_TIMEOUT_MS: '500',
    API_TOKENS: `ci:${TOKEN},other:${OTHER_TOKEN}`,
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    ...options.env,
  });
  const lines: string[] = [];
  const logger = createLogger({
    name: 'api',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const redis = createRedisConnection(config.redis, 'producer');
  const adminConnection = createRedisConnection(config.redis, 'admin');
  redis.on('error', () => {});
  adminConnection.on('error', () => {});
  const producer = new Producer({
    connection: redis,
    prefix: config.redis.prefix,
    maxJobBytes: config.api.maxJobBytes,
    timeoutMs: config.redis.commandTimeoutMs + 500,
    ...(config.redis.replicaAck ? { replicaAck: config.redis.replicaAck } : {}),
  });
  const events = createJobEventHub(config, producer, () => {});
  const app = createApp({
    events,
    config,
    producer,
    producerConnection: redis,
    adminConnection,
    logger,
    metrics: createMetricsRegistry('api'),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.isShuttingDown ? { isShuttingDown: options.isShuttingDown } : {}),
    ...(options.slackOptions ? { slackOptions: options.slackOptions } : {}),
  });
  // Requests before the connections are ready would rightly answer 503.
  await waitFor(() => redis.status === 'ready' && adminConnection.status === 'ready', {
    description: 'the test app connections',
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request: TestApp['request'] = (path, init = {}) => {
    const { auth = true, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth !== false && !headers.has('authorization')) {
      headers.set('authorization', `Bearer ${typeof auth === 'string' ? auth : TOKEN}`);
    }
    return fetch(`${url}${path}`, { ...rest, headers });
  };

  return {
    url,
    config,
    producer,
    events,
    redis,
    logs: () => lines.join(''),
    request,
    postJson: (path, body, headers = {}) =>
      request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    postSlackEvent(envelope) {
      const body = JSON.stringify(envelope);
      return request('/slack/events', {
        method: 'POST',
        auth: false,
        headers: { 'content-type': 'application/json', ...slackHeaders(SLACK_SECRET, body) },
        body,
      });
    },
    async countJobs() {
      const counts = await Promise.all(
        QUEUE_NAMES.flatMap((name) => [
          producer.queue(name).getJobCounts(),
          producer.deadLetters(name).queue.getJobCounts(),
        ]),
      );
      return counts.flatMap((states) => Object.values(states)).reduce((a, b) => a + b, 0);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await events.close();
      await producer.close();
      redis.disconnect();
      adminConnection.disconnect();
    },
  };
}

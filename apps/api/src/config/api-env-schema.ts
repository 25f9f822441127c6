import { envFields } from '@conveyor/redis';
import { trustProxyField } from '@conveyor/runtime';
import { LOG_LEVELS } from '@conveyor/telemetry';
import { z } from 'zod';
import { MAX_DELAY_MS } from '../http/http-schemas.js';
import {
  checkSlackOAuthEnv,
  slackOAuthEnvFields,
  slackOAuthSettingsOf,
} from '../slack-oauth/slack-oauth-env.js';
import { parseClientQuotas } from './api-client-quotas.js';
import { parseClientScopes } from './api-client-scopes.js';
import { parseApiTokens } from './api-tokens.js';
import type { ApiSettings } from './app-config.js';

const { integer, optionalString, emptyAsUnset, oneOf } = envFields;

/** The client names `API_TOKENS` defines (empty when it is missing or invalid). */
const clientNames = (apiTokens: string | undefined) =>
  new Set(apiTokens === undefined ? [] : parseApiTokens(apiTokens).tokens.map((t) => t.name));

/**
 * Connections an API process accepts beyond its waits and event streams when
 * `API_MAX_CONNECTIONS` is unset: room for the requests that come and go.
 */
export const CONNECTIONS_BESIDE_SUBSCRIBERS = 1024;

/** The API's environment variables (the shared `REDIS_*` ones are `redisEnvSchema`'s). */
export const apiEnvSchema = z
  .object({
    PORT: integer({ default: 3000, min: 0, max: 65535 }),
    HOST: optionalString(),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    API_TOKENS: emptyAsUnset(
      z
        .string({ error: 'is required: comma-separated name:secret pairs' })
        .superRefine((value, ctx) => {
          for (const message of parseApiTokens(value).problems) {
            ctx.addIssue({ code: 'custom', message });
          }
        }),
    ),
    API_CLIENT_SCOPES: optionalString(),
    API_CLIENT_QUOTAS: optionalString(),
    AUTH_FAILURES_PER_MINUTE: integer({ default: 20, min: 0, max: 1_000_000 }),
    TRUST_PROXY: trustProxyField(),
    RATE_LIMIT_PER_MINUTE: integer({ default: 6000, min: 0, max: 100_000_000 }),
    MAX_DELAY_MS: integer({ default: 7 * 24 * 60 * 60 * 1000, min: 0, max: MAX_DELAY_MS }),
    MAX_JOB_BYTES: integer({ default: 256 * 1024, min: 1024, max: 64 * 1024 * 1024 }),
    SLACK_SIGNING_SECRET: optionalString().superRefine((value, ctx) => {
      if (value !== undefined && value.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message: `has ${value.length} characters; a Slack signing secret has at least 16`,
        });
      }
    }),
    SLACK_MAX_BODY_BYTES: integer({ default: 128 * 1024, min: 1024, max: 4 * 1024 * 1024 }),
    SHUTDOWN_TIMEOUT_MS: integer({ default: 10_000, min: 0, max: 600_000 }),
    // Unset: MAX_WAITERS + MAX_EVENT_STREAMS + CONNECTIONS_BESIDE_SUBSCRIBERS.
    API_MAX_CONNECTIONS: emptyAsUnset(
      z.coerce
        .number({ error: 'must be a whole number' })
        .int({ error: 'must be a whole number' })
        .min(1)
        .max(1_000_000)
        .optional(),
    ),
    API_KEEP_ALIVE_TIMEOUT_MS: integer({ default: 5000, min: 1000, max: 600_000 }),
    API_PROCESSES: integer({ default: 1, min: 1, max: 64 }),
    MAX_WAITERS: integer({ default: 20_000, min: 0, max: 1_000_000 }),
    MAX_EVENT_STREAMS: integer({ default: 2000, min: 0, max: 100_000 }),
    EVENTS_HEARTBEAT_MS: integer({ default: 15_000, min: 100, max: 600_000 }),
    EVENTS_MAX_BUFFERED_BYTES: integer({ default: 256 * 1024, min: 1024, max: 64 * 1024 * 1024 }),
    METRICS_EXPORTER_LEASE_MS: integer({ default: 60_000, min: 1000, max: 3_600_000 }),
    ...slackOAuthEnvFields,
  })
  .superRefine((env, ctx) => {
    checkSlackOAuthEnv(env, ctx);
    const held = env.MAX_WAITERS + env.MAX_EVENT_STREAMS;
    if (env.API_MAX_CONNECTIONS !== undefined && env.API_MAX_CONNECTIONS <= held) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_MAX_CONNECTIONS'],
        message: `is ${env.API_MAX_CONNECTIONS}, but MAX_WAITERS (${env.MAX_WAITERS}) and MAX_EVENT_STREAMS (${env.MAX_EVENT_STREAMS}) each hold a connection: raise it above ${held} (with room for other requests), or lower those`,
      });
    }
    const clients = clientNames(env.API_TOKENS);
    if (env.API_CLIENT_SCOPES !== undefined) {
      for (const message of parseClientScopes(env.API_CLIENT_SCOPES, clients).problems) {
        ctx.addIssue({ code: 'custom', path: ['API_CLIENT_SCOPES'], message });
      }
    }
    if (env.API_CLIENT_QUOTAS !== undefined) {
      for (const message of parseClientQuotas(env.API_CLIENT_QUOTAS, clients).problems) {
        ctx.addIssue({ code: 'custom', path: ['API_CLIENT_QUOTAS'], message });
      }
    }
  })
  .transform(
    (env): ApiSettings => ({
      port: env.PORT,
      host: env.HOST ?? '0.0.0.0',
      logLevel: env.LOG_LEVEL,
      apiTokens: parseApiTokens(env.API_TOKENS).tokens,
      clientScopes:
        env.API_CLIENT_SCOPES === undefined
          ? new Map()
          : parseClientScopes(env.API_CLIENT_SCOPES, clientNames(env.API_TOKENS)).scopes,
      clientQuotas:
        env.API_CLIENT_QUOTAS === undefined
          ? new Map()
          : parseClientQuotas(env.API_CLIENT_QUOTAS, clientNames(env.API_TOKENS)).quotas,
      authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
      trustProxy: env.TRUST_PROXY,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      maxDelayMs: env.MAX_DELAY_MS,
      maxJobBytes: env.MAX_JOB_BYTES,
      slackSigningSecret: env.SLACK_SIGNING_SECRET,
      slackMaxBodyBytes: env.SLACK_MAX_BODY_BYTES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      maxConnections:
        env.API_MAX_CONNECTIONS ??
        env.MAX_WAITERS + env.MAX_EVENT_STREAMS + CONNECTIONS_BESIDE_SUBSCRIBERS,
      keepAliveTimeoutMs: env.API_KEEP_ALIVE_TIMEOUT_MS,
      processes: env.API_PROCESSES,
      maxWaiters: env.MAX_WAITERS,
      maxEventStreams: env.MAX_EVENT_STREAMS,
      eventsHeartbeatMs: env.EVENTS_HEARTBEAT_MS,
      eventsMaxBufferedBytes: env.EVENTS_MAX_BUFFERED_BYTES,
      metricsExporterLeaseMs: env.METRICS_EXPORTER_LEASE_MS,
      slackOAuth: slackOAuthSettingsOf(env),
    }),
  );

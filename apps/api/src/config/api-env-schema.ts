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
import { budgetConnections } from './connection-budget.js';
import { openFilesLimit } from './open-files-limit.js';

const { integer, optionalString, emptyAsUnset, oneOf } = envFields;

/** The client names `API_TOKENS` defines (empty when it is missing or invalid). */
const clientNames = (apiTokens: string | undefined) =>
  new Set(apiTokens === undefined ? [] : parseApiTokens(apiTokens).tokens.map((t) => t.name));

/** An optional whole number in a range; empty counts as unset. */
const optionalInteger = (min: number, max: number) =>
  emptyAsUnset(
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(min)
      .max(max)
      .optional(),
  );

/** How connections, waits and streams fit, from the parsed variables (see `budgetConnections`). */
const connectionBudgetOf = (env: {
  API_MAX_CONNECTIONS?: number | undefined;
  MAX_WAITERS?: number | undefined;
  MAX_EVENT_STREAMS?: number | undefined;
}) =>
  budgetConnections({
    maxConnections: env.API_MAX_CONNECTIONS,
    maxWaiters: env.MAX_WAITERS,
    maxEventStreams: env.MAX_EVENT_STREAMS,
    openFiles: openFilesLimit(),
  });

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
    // Unset: room for every wait and stream plus 1024, within the open-files limit.
    API_MAX_CONNECTIONS: optionalInteger(1, 1_000_000),
    API_KEEP_ALIVE_TIMEOUT_MS: integer({ default: 5000, min: 1000, max: 600_000 }),
    API_PROCESSES: integer({ default: 1, min: 1, max: 64 }),
    // Unset: DEFAULT_MAX_WAITERS / DEFAULT_MAX_EVENT_STREAMS, lowered to fit the connections.
    MAX_WAITERS: optionalInteger(0, 1_000_000),
    MAX_EVENT_STREAMS: optionalInteger(0, 100_000),
    EVENTS_HEARTBEAT_MS: integer({ default: 15_000, min: 100, max: 600_000 }),
    EVENTS_MAX_BUFFERED_BYTES: integer({ default: 256 * 1024, min: 1024, max: 64 * 1024 * 1024 }),
    METRICS_EXPORTER_LEASE_MS: integer({ default: 60_000, min: 1000, max: 3_600_000 }),
    ...slackOAuthEnvFields,
  })
  .superRefine((env, ctx) => {
    checkSlackOAuthEnv(env, ctx);
    const budget = connectionBudgetOf(env);
    if ('problem' in budget) {
      ctx.addIssue({ code: 'custom', path: ['API_MAX_CONNECTIONS'], message: budget.problem });
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
  .transform((env): ApiSettings => {
    const budget = connectionBudgetOf(env);
    // superRefine refused the environment already when the limits cannot fit.
    if ('problem' in budget) throw new Error(budget.problem);
    return {
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
      maxConnections: budget.maxConnections,
      connectionLimitNote: budget.note,
      keepAliveTimeoutMs: env.API_KEEP_ALIVE_TIMEOUT_MS,
      processes: env.API_PROCESSES,
      maxWaiters: budget.maxWaiters,
      maxEventStreams: budget.maxEventStreams,
      eventsHeartbeatMs: env.EVENTS_HEARTBEAT_MS,
      eventsMaxBufferedBytes: env.EVENTS_MAX_BUFFERED_BYTES,
      metricsExporterLeaseMs: env.METRICS_EXPORTER_LEASE_MS,
      slackOAuth: slackOAuthSettingsOf(env),
    };
  });

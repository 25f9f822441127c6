import { envFields } from '@conveyor/redis';
import { trustProxyField } from '@conveyor/runtime';
import { LOG_LEVELS } from '@conveyor/telemetry';
import { z } from 'zod';
import type { DashboardConfig } from './dashboard-config.js';

const { optionalString, integer, boolean, emptyAsUnset, oneOf } = envFields;

/** Shortest password accepted: the dashboard can retry, clean and add jobs. */
export const MIN_PASSWORD_LENGTH = 12;

/** `/ops/queues`: path segments of URL-safe characters (the root is handled apart). */
const BASE_PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;

/** Leading slash added, trailing slashes dropped: `ops/queues/` becomes `/ops/queues`. */
function normaliseBasePath(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/**
 * The dashboard part of the environment. Parses to a {@link DashboardConfig}; refuses to go on
 * without Basic auth credentials unless `DASHBOARD_AUTH=off` says so explicitly.
 */
export const dashboardEnvSchema = z
  .object({
    PORT: integer({ default: 3001, min: 0, max: 65535 }),
    HOST: emptyAsUnset(z.string().default('0.0.0.0')),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    DASHBOARD_AUTH: emptyAsUnset(
      z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
    ),
    DASHBOARD_USERNAME: optionalString().refine((value) => !value?.includes(':'), {
      error: "must not contain ':' (HTTP Basic auth cannot carry it)",
    }),
    DASHBOARD_PASSWORD: optionalString().refine(
      (value) => value === undefined || value.length >= MIN_PASSWORD_LENGTH,
      { error: `must be at least ${MIN_PASSWORD_LENGTH} characters` },
    ),
    DASHBOARD_READ_ONLY: boolean(false),
    TRUST_PROXY: trustProxyField(),
    DASHBOARD_BASE_PATH: emptyAsUnset(
      z
        .string()
        .default('/')
        .transform(normaliseBasePath)
        .refine((path) => path === '/' || BASE_PATH_PATTERN.test(path), {
          error: 'must be a URL path such as / or /ops/queues',
        }),
    ),
  })
  .superRefine(
    (env, ctx) => {
      if (env.DASHBOARD_AUTH === 'off') return;
      const unlessOff = 'unless DASHBOARD_AUTH=off is set to run the dashboard without a login';
      if (env.DASHBOARD_USERNAME === undefined) {
        const message = `is required (with DASHBOARD_PASSWORD) ${unlessOff}`;
        ctx.addIssue({ code: 'custom', path: ['DASHBOARD_USERNAME'], message });
      }
      if (env.DASHBOARD_PASSWORD === undefined) {
        const message = `is required (with DASHBOARD_USERNAME) ${unlessOff}`;
        ctx.addIssue({ code: 'custom', path: ['DASHBOARD_PASSWORD'], message });
      }
    },
    // Also when another variable is already invalid: report every problem in one round.
    { when: () => true },
  )
  .transform(
    (env): DashboardConfig => ({
      port: env.PORT,
      host: env.HOST,
      logLevel: env.LOG_LEVEL,
      credentials:
        env.DASHBOARD_AUTH === 'on' && env.DASHBOARD_USERNAME && env.DASHBOARD_PASSWORD
          ? { username: env.DASHBOARD_USERNAME, password: env.DASHBOARD_PASSWORD }
          : undefined,
      readOnly: env.DASHBOARD_READ_ONLY,
      basePath: env.DASHBOARD_BASE_PATH,
      trustProxy: env.TRUST_PROXY,
    }),
  );

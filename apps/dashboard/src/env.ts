import { parseEnvironment, redisEnvSchema } from '@conveyor/redis';
import { dashboardEnvSchema } from './dashboard-env-schema.js';

/** Everything the dashboard process is configured with. */
export type DashboardEnvironment = ReturnType<typeof loadEnvironment>;

/**
 * Validates the environment once, at start: the shared Redis variables and the dashboard's own.
 * The only reader of `process.env` in the dashboard; tests pass their own object.
 * @throws ConfigError naming every bad or missing variable.
 */
export function loadEnvironment(source: Record<string, string | undefined> = process.env) {
  return parseEnvironment({ redis: redisEnvSchema, dashboard: dashboardEnvSchema }, source);
}

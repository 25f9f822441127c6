import { parseEnvironment, redisEnvSchema } from '@conveyor/redis';
import { apiEnvSchema } from './config/api-env-schema.js';
import type { AppConfig } from './config/app-config.js';

/**
 * Reads the API's configuration from the environment, once, at start. This is the only module
 * that touches `process.env`; everything else receives an {@link AppConfig}.
 * @throws ConfigError naming every invalid or missing variable.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  return parseEnvironment({ redis: redisEnvSchema, api: apiEnvSchema }, source);
}

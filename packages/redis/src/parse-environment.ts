import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';

type Schemas = Record<string, z.ZodType>;
type Parsed<S extends Schemas> = { [K in keyof S]: z.output<S[K]> };

/**
 * Parses the environment against several zod schemas (for example the shared Redis one and an
 * app's own) and throws one {@link ConfigError} that lists the issues of all of them together.
 */
export function parseEnvironment<S extends Schemas>(
  schemas: S,
  env: Record<string, string | undefined>,
): Parsed<S> {
  const issues: ConfigIssue[] = [];
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(schemas)) {
    const parsed = schema.safeParse(env);
    if (parsed.success) {
      result[key] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : 'environment';
      const message =
        issue.code === 'invalid_type' && env[variable] === undefined
          ? 'is required'
          : issue.message;
      issues.push({ variable, message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return result as Parsed<S>;
}

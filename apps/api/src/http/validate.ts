import { PayloadValidationError, toPayloadIssues } from '@conveyor/queues';
import type { z } from 'zod';

/**
 * Parses `value` with a schema or throws {@link PayloadValidationError} (HTTP 400) naming each
 * failing path under `basePath`.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  basePath = '',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = toPayloadIssues(parsed.error, basePath);
  throw new PayloadValidationError(
    issues.map((issue) => (issue.path === '' ? { ...issue, path: '(body)' } : issue)),
  );
}

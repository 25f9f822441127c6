import { PayloadValidationError } from '@conveyor/queues';

/**
 * Parses an `application/x-www-form-urlencoded` body (slash commands, interactivity) into a
 * plain object of strings; a repeated field keeps its last value.
 * @throws PayloadValidationError for a `__proto__` field
 */
export function parseForm(body: Buffer): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    if (key === '__proto__') {
      throw new PayloadValidationError([{ path: '__proto__', message: 'is not an allowed field' }]);
    }
    form[key] = value;
  }
  return form;
}

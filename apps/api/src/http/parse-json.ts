import { InvalidJsonError } from '../errors/invalid-json-error.js';

/**
 * Deepest nesting accepted. JSON.parse handles any depth, but JSON.stringify (BullMQ stores job
 * data with it) overflows the stack a few thousand levels down, which would be a 500.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses JSON text once and checks its structure: nesting at most {@link MAX_JSON_DEPTH} and no
 * `__proto__` keys (schema validation would silently drop them, and any later merge could turn
 * them into prototype pollution).
 * @throws InvalidJsonError
 */
export function parseJson(text: string): unknown {
  if (text.length === 0) throw new InvalidJsonError('the body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError((error as Error).message.slice(0, 200));
  }
  checkStructure(value, 1);
  return value;
}

function checkStructure(value: unknown, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_JSON_DEPTH) {
    throw new InvalidJsonError(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    for (const item of value) checkStructure(item, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (key === '__proto__') throw new InvalidJsonError('keys named "__proto__" are not allowed');
    checkStructure(record[key], depth + 1);
  }
}

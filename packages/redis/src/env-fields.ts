import { z } from 'zod';

/**
 * Reusable zod fields for environment variables, which always arrive as strings (or not at all).
 * An empty string counts as unset, as it does in most `.env` tooling.
 */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

export const envFields = {
  /** Any schema, with an empty string read as unset (so its default, if any, applies). */
  emptyAsUnset: <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema),
  /**
   * One of `values`, matched without regard to case (`INFO` reads as `info`), with a default.
   * Refused values are named in the message.
   */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) =>
    z.preprocess(
      (value) => (value === '' || value === undefined ? undefined : String(value).toLowerCase()),
      z.enum(values, { error: `must be one of ${values.join(', ')}` }).default(defaultValue),
    ),
  /** An optional string; empty counts as unset. */
  optionalString: () => z.preprocess(unsetIfEmpty, z.string().optional()),
  /** A whole number in a range, with a default. */
  integer: (options: { default: number; min?: number; max?: number }) =>
    z.preprocess(
      unsetIfEmpty,
      z.coerce
        .number({ error: 'must be a whole number' })
        .int({ error: 'must be a whole number' })
        .min(options.min ?? Number.MIN_SAFE_INTEGER)
        .max(options.max ?? Number.MAX_SAFE_INTEGER)
        .default(options.default),
    ),
  /** `true`/`false`/`1`/`0`/`yes`/`no`, with a default. */
  boolean: (defaultValue: boolean) =>
    z.preprocess(
      unsetIfEmpty,
      z
        .enum(['true', 'false', '1', '0', 'yes', 'no'], {
          error: 'must be true or false',
        })
        .default(defaultValue ? 'true' : 'false')
        .transform((value) => value === 'true' || value === '1' || value === 'yes'),
    ),
};

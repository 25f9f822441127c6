import { z } from 'zod';

/**
 * Reusable zod fields for environment variables, which always arrive as strings (or not at all).
 * An empty string counts as unset, as it does in most `.env` tooling.
 */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

export const envFields = {
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

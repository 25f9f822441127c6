// The reference loads vitest's types even where nothing else imports 'vitest', which the
// augmentation needs; unlike an empty `import type`, it survives into the emitted .d.ts.
/// <reference types="vitest" preserve="true" />

/**
 * Types the values the global setup hands to tests, so `inject('redisUrl')` is a string.
 * Imported for its side effect by the package index and the global setup.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis started once for the whole test run by `@conveyor/testing/global-setup`. */
    redisUrl: string;
  }
}

export {};

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Starts one real redis-server per vitest run and provides its URL as `inject('redisUrl')`. */
const REDIS_GLOBAL_SETUP = fileURLToPath(
  new URL('./packages/testing/src/global-setup.ts', import.meta.url),
);

/** Options for {@link conveyorVitestConfig}. */
export interface ConveyorVitestOptions {
  /**
   * Start a shared Redis for the run (tests read its URL with `inject('redisUrl')`).
   * @defaultValue false
   */
  redis?: boolean;
  /** @defaultValue 20000 */
  testTimeout?: number;
}

/**
 * Shared vitest settings: resolve workspace packages to their TypeScript source (the
 * `@conveyor/source` export condition) so tests never need a prior build of a dependency.
 */
export function conveyorVitestConfig(options: ConveyorVitestOptions = {}) {
  const conditions = ['@conveyor/source', 'module', 'node', 'development|production'];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      globalSetup: options.redis ? [REDIS_GLOBAL_SETUP] : [],
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 30_000,
      pool: 'forks',
    },
  });
}

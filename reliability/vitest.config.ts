import { defineConfig, mergeConfig } from 'vitest/config';
import { conveyorVitestConfig } from '../vitest.base.js';

export default mergeConfig(
  conveyorVitestConfig({ testTimeout: 240_000 }),
  defineConfig({
    test: {
      // Each scenario starts many processes and measures timings: one file at a time.
      fileParallelism: false,
      hookTimeout: 120_000,
      globalSetup: ['./src/support/global-setup.ts'],
      setupFiles: ['./src/support/record-failure.ts'],
    },
  }),
);

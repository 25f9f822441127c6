import { defineConfig, mergeConfig } from 'vitest/config';
import { conveyorVitestConfig } from '../vitest.base.js';

export default mergeConfig(
  conveyorVitestConfig({ testTimeout: 120_000 }),
  // The smoke test runs `node dist/main.js`: rebuild it first when src is newer.
  defineConfig({ test: { globalSetup: ['./test/build-once.ts'] } }),
);

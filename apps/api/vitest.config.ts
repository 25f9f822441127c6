import { defineConfig, mergeConfig } from 'vitest/config';
import { conveyorVitestConfig } from '../../vitest.base.js';

export default mergeConfig(
  conveyorVitestConfig({ redis: true }),
  // Child-process tests run `node dist/main.js`: rebuild it first when src is newer.
  defineConfig({ test: { globalSetup: ['./test/support/build-once.ts'] } }),
);

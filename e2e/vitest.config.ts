import { conveyorVitestConfig } from '../vitest.base.js';

export default conveyorVitestConfig({ testTimeout: 120_000 });

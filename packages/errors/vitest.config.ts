import { conveyorVitestConfig } from '../../vitest.base.js';

export default conveyorVitestConfig();

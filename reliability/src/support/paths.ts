import { fileURLToPath } from 'node:url';

/** The monorepo root (`/work/main` in a checkout). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The production entry points, run exactly as a container runs them. */
export const API_MAIN = fileURLToPath(new URL('../../../apps/api/dist/main.js', import.meta.url));
export const WORKER_MAIN = fileURLToPath(
  new URL('../../../apps/worker/dist/main.js', import.meta.url),
);

/** Figures and captured logs of the last run (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));
export const FIGURES_DIR = fileURLToPath(new URL('../../results/figures/', import.meta.url));
export const LOGS_DIR = fileURLToPath(new URL('../../results/logs/', import.meta.url));

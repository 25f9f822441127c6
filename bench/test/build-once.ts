import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from '@conveyor/testing';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(BENCH_DIR, '..');

/** Vitest global setup: the smoke test runs `node dist/main.js`; build it if stale. */
export default function setup(): void {
  buildIfStale({
    packageDir: BENCH_DIR,
    // What the bench runs or imports, built by turbo before `test`.
    requires: [
      'apps/api/dist/main.js',
      'apps/worker/dist/main.js',
      'packages/queues/dist/index.js',
      'packages/redis/dist/index.js',
      'packages/testing/dist/index.js',
    ].map((path) => join(REPO_ROOT, path)),
  });
}

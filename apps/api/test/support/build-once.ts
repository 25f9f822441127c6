import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from '@conveyor/testing';

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Vitest global setup: the child-process tests run `node dist/main.js`; build it if stale. */
export default function setup(): void {
  buildIfStale({
    packageDir: APP_DIR,
    requires: ['redis', 'queues', 'telemetry'].map((name) =>
      join(APP_DIR, '..', '..', 'packages', name, 'dist', 'index.js'),
    ),
  });
}

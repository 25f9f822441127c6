import { fileURLToPath } from 'node:url';
import { buildIfStale } from '@conveyor/testing';

/**
 * Vitest global setup: the child-process tests run `node dist/main.js`; build it if stale, and
 * check the workspace packages it imports are built.
 */
export default function setup(): void {
  buildIfStale({ packageDir: fileURLToPath(new URL('../..', import.meta.url)) });
}

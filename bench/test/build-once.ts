import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(BENCH_DIR, '..');
/** What the bench runs or imports, built by turbo before `test`. */
const REQUIRED = [
  'apps/api/dist/main.js',
  'apps/worker/dist/main.js',
  'packages/queues/dist/index.js',
  'packages/redis/dist/index.js',
  'packages/testing/dist/index.js',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Vitest global setup: the smoke test runs `node dist/main.js`, so make sure it is not older than
 * the source (turbo builds before testing; a bare `pnpm test` in this folder may not have).
 */
export default function setup(): void {
  for (const path of REQUIRED) {
    if (!existsSync(join(REPO_ROOT, path))) {
      throw new Error(`${path} is missing: run \`pnpm build\` at the repository root first`);
    }
  }
  const main = join(BENCH_DIR, 'dist', 'main.js');
  const built = existsSync(main) ? statSync(main).mtimeMs : 0;
  if (built < newestMtime(join(BENCH_DIR, 'src'))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: BENCH_DIR,
      stdio: 'inherit',
    });
  }
}

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));
const DEPENDENCIES = ['redis', 'queues', 'telemetry'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/**
 * Vitest global setup: the child-process tests run `node dist/main.js`, so make sure it is not
 * older than the source (turbo builds before testing; a bare `pnpm test` may not have).
 */
export default function setup(): void {
  const main = join(APP_DIR, 'dist', 'main.js');
  const built = existsSync(main) ? statSync(main).mtimeMs : 0;
  if (built < newestMtime(join(APP_DIR, 'src'))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: APP_DIR,
      stdio: 'inherit',
    });
  }
  for (const dependency of DEPENDENCIES) {
    const entry = join(APP_DIR, '..', '..', 'packages', dependency, 'dist', 'index.js');
    if (!existsSync(entry)) {
      throw new Error(`${entry} is missing: run \`pnpm build\` at the repository root first`);
    }
  }
}

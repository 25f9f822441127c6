import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Options for {@link buildIfStale}. */
export interface BuildIfStaleOptions {
  /** The package folder: `src/` is compiled with its `tsconfig.build.json`. */
  packageDir: string;
  /**
   * Built files the tests run or import, checked to exist after the build (absolute paths).
   * @defaultValue `dist/index.js` of each `@conveyor/*` package in the package's `dependencies`
   */
  requires?: readonly string[];
  /**
   * The built file compared against the sources.
   * @defaultValue `dist/main.js` of the package
   */
  entry?: string;
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** `dist/index.js` of each workspace package `packageDir` depends on at run time. */
function workspaceDependencyEntries(packageDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => name.startsWith('@conveyor/'))
    .map((name) => join(packageDir, 'node_modules', name, 'dist', 'index.js'));
}

/**
 * For the vitest global setup of a package whose tests run its built entry point in a child
 * process: rebuilds the package when a source file is newer than the entry (turbo builds before
 * `test`, a bare `vitest` in the folder may not have), then fails with a clear message when a
 * built dependency is missing.
 */
export function buildIfStale(options: BuildIfStaleOptions): void {
  const { packageDir } = options;
  const entry = options.entry ?? join(packageDir, 'dist', 'main.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built < newestSourceMtime(join(packageDir, 'src'))) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: packageDir,
      stdio: 'inherit',
    });
  }
  for (const path of options.requires ?? workspaceDependencyEntries(packageDir)) {
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: run \`pnpm build\` at the repository root first`);
    }
  }
}

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIfStale } from './build-if-stale.js';
import { createTempDir, type TempDir } from './create-temp-dir.js';

let dir: TempDir | undefined;
afterEach(() => dir?.remove());

/** A package whose `dist/main.js` is newer than its only source file. */
async function builtPackage(dependencies: Record<string, string>): Promise<string> {
  dir = await createTempDir('build-if-stale-');
  await mkdir(join(dir.path, 'src'));
  await writeFile(join(dir.path, 'src', 'main.ts'), 'export {};\n');
  await mkdir(join(dir.path, 'dist'));
  await writeFile(join(dir.path, 'dist', 'main.js'), 'export {};\n');
  await writeFile(join(dir.path, 'package.json'), JSON.stringify({ dependencies }));
  return dir.path;
}

describe('buildIfStale', () => {
  it('requires by default the built entry of each @conveyor/* run-time dependency', async () => {
    const packageDir = await builtPackage({ '@conveyor/queues': 'workspace:*', zod: '4.0.0' });
    expect(() => buildIfStale({ packageDir })).toThrow(
      `${join(packageDir, 'node_modules', '@conveyor', 'queues', 'dist', 'index.js')} is missing`,
    );
    await mkdir(join(packageDir, 'node_modules', '@conveyor', 'queues', 'dist'), {
      recursive: true,
    });
    await writeFile(
      join(packageDir, 'node_modules', '@conveyor', 'queues', 'dist', 'index.js'),
      '',
    );
    expect(() => buildIfStale({ packageDir })).not.toThrow();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit } from './kill-on-exit.js';

/** A fresh folder under the OS temp directory; see {@link createTempDir}. */
export interface TempDir {
  path: string;
  /** Deletes the folder and everything in it. Safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Creates a fresh temp folder named `<prefix>XXXXXX` that is also deleted if the process ends
 * before {@link TempDir.remove} is called.
 */
export async function createTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const forget = removeOnExit(path);
  return {
    path,
    async remove() {
      await rm(path, { recursive: true, force: true });
      forget();
    },
  };
}

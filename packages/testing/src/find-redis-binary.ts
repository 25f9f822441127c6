import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RedisNotInstalledError } from './redis-not-installed-error.js';

export type RedisBinaryName = 'redis-server' | 'redis-cli' | 'redis-sentinel';

/** Folders searched after `PATH`: where distributions and Homebrew put Redis. */
const FALLBACK_DIRS = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'];

/** The folders {@link findRedisBinary} searches by default: `PATH`, then the usual places. */
export function defaultBinarySearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromPath = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return [...new Set([...fromPath, ...FALLBACK_DIRS])];
}

/**
 * Absolute path of an executable Redis binary.
 * @param searchPath folders to look in, in order; tests pass their own to simulate a machine
 * without Redis.
 * @throws {RedisNotInstalledError} when no folder holds an executable file of that name.
 */
export function findRedisBinary(
  name: RedisBinaryName,
  searchPath: readonly string[] = defaultBinarySearchPath(),
): string {
  for (const dir of searchPath) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new RedisNotInstalledError(name, searchPath);
}

/** True when `path` is a file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

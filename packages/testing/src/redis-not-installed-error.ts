import { CodedError } from '@conveyor/errors';
import type { RedisBinaryName } from './find-redis-binary.js';

/** Debian/Ubuntu package that ships each binary. */
const APT_PACKAGES: Record<RedisBinaryName, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  'redis-sentinel': 'redis-sentinel',
};

/**
 * Thrown when a Redis binary the tests need cannot be found, with the command that installs it,
 * so a fresh machine fails with a fix instead of a bare ENOENT.
 */
export class RedisNotInstalledError extends CodedError {
  readonly code = 'REDIS_NOT_INSTALLED';
  readonly binary: RedisBinaryName;
  /** The folders that were searched, in order. */
  readonly searched: readonly string[];

  constructor(binary: RedisBinaryName, searched: readonly string[]) {
    super(
      `${binary} is not installed: run \`apt-get install ${APT_PACKAGES[binary]}\` (Debian/Ubuntu) ` +
        'or `brew install redis` (tests always start their own redis-server)',
    );
    this.name = 'RedisNotInstalledError';
    this.binary = binary;
    this.searched = searched;
  }
}

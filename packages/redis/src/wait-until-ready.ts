import { CodedError } from '@conveyor/errors';
import type { RedisConnection } from './create-redis-connection.js';

/** Redis refused the credentials: retrying will not help, the configuration is wrong. */
export class RedisAuthError extends CodedError {
  readonly code = 'REDIS_AUTH_FAILED';

  constructor(cause: Error) {
    super(
      `Redis rejected the credentials (${cause.message.split(' ')[0]}): check REDIS_PASSWORD and REDIS_USERNAME, or the user and password in REDIS_URL`,
      { cause },
    );
    this.name = 'RedisAuthError';
  }
}

const AUTH_ERROR = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username-)?password/i;

/** True for errors that mean the credentials are wrong, not that Redis is away. */
export function isAuthError(error: unknown): boolean {
  return error instanceof Error && AUTH_ERROR.test(error.message);
}

/**
 * Waits until a connection is ready. Resolves `true` when ready, `false` when `timeoutMs` passes
 * first (Redis away: the connection keeps retrying in the background), and rejects with
 * {@link RedisAuthError} as soon as Redis refuses the credentials, so a process can stop with a
 * clear message instead of retrying a wrong password forever.
 */
export function waitUntilReady(connection: RedisConnection, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('error', onError);
    };
    const onReady = () => {
      finish();
      resolve(true);
    };
    const onError = (error: Error) => {
      if (!isAuthError(error)) return;
      finish();
      reject(new RedisAuthError(error));
    };
    const timer = setTimeout(() => {
      finish();
      resolve(false);
    }, timeoutMs);
    connection.on('ready', onReady);
    connection.on('error', onError);
  });
}

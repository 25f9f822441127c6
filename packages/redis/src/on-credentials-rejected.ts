import type { RedisConnection } from './create-redis-connection.js';
import { isAuthError, RedisAuthError } from './wait-until-ready.js';

/**
 * Calls `onRejected` once if Redis refuses the credentials before `connection` was ever ready.
 * A wrong password or user never fixes itself, so a process should stop with a clear message
 * instead of retrying forever and reporting Redis "unreachable"; an outage, by contrast, is
 * waited out. Once the connection has been ready, later refusals (a password rotated on the
 * server) are left to the reconnect loop and the readiness check.
 */
export function onCredentialsRejected(
  connection: RedisConnection,
  onRejected: (error: RedisAuthError) => void,
): void {
  const stop = () => {
    connection.off('error', onError);
    connection.off('ready', stop);
  };
  const onError = (error: Error) => {
    if (!isAuthError(error)) return;
    stop();
    onRejected(new RedisAuthError(error));
  };
  if (connection.status === 'ready') return;
  connection.on('error', onError);
  connection.once('ready', stop);
}

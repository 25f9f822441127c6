import { Command } from 'ioredis';
import { armCommandDeadline } from './arm-command-deadline.js';
import type { RedisConnection } from './create-redis-connection.js';
import { holdAllowance, queuedAllowanceMs } from './queued-allowance.js';

/**
 * Sends `name` with `args` (reply as UTF-8 strings, as ioredis' own command methods give) with
 * the connection's command deadline lengthened by `extraMs`: for a call that Redis legitimately
 * takes long over, such as a script storing a thousand jobs. Until it is answered, `extraMs` is
 * also added to the deadline of every command sent after it on the connection, which Redis
 * answers only after it ({@link queuedAllowanceMs}). A Redis that answers nothing is still
 * reported, only later. On a connection without a deferred deadline ({@link DeadlineRedis},
 * {@link DeadlineCluster}), the command is sent with no deadline of its own.
 */
export function sendCommandWithin(
  connection: RedisConnection,
  name: string | Command,
  args: (string | number)[],
  extraMs: number,
): Promise<unknown> {
  // A command already built (its arguments set by the caller) is sent as it is.
  const command =
    typeof name === 'string' ? new Command(name, args, { replyEncoding: 'utf8' }) : name;
  const { commandTimeoutMs } = connection as { commandTimeoutMs?: number | undefined };
  // Armed first: the connection's own sendCommand then leaves it alone (armed once per command).
  if (commandTimeoutMs !== undefined) {
    armCommandDeadline(command, commandTimeoutMs + queuedAllowanceMs(connection) + extraMs);
  }
  const reply = connection.sendCommand(command) as Promise<unknown>;
  holdAllowance(connection, extraMs, reply);
  return reply;
}

import { type Command, Redis, type RedisOptions } from 'ioredis';
import { armCommandDeadline } from './arm-command-deadline.js';
import { queuedAllowanceMs } from './queued-allowance.js';

type WriteableStream = Parameters<Redis['sendCommand']>[1];

function withoutCommandTimeout(options: RedisOptions): RedisOptions {
  const { commandTimeout: _, ...rest } = options;
  return rest;
}

/**
 * An ioredis `Redis` whose `commandTimeout` is a deferred deadline ({@link armCommandDeadline}):
 * a reply that reached the socket while the event loop was frozen is read before the deadline
 * is judged, instead of the command failing with `Command timed out` although it succeeded.
 * A command sent behind long calls (`sendCommandWithin`) gets their extra time too
 * (`queuedAllowanceMs`). Applies to every command, blocking ones included, as ioredis'
 * `commandTimeout` does;
 * `duplicate()` keeps it, as ioredis' copy of the options would.
 */
export class DeadlineRedis extends Redis {
  /** The deadline of each command in ms, or undefined for none. */
  readonly commandTimeoutMs: number | undefined;

  constructor(options: RedisOptions) {
    // Not passed on: ioredis would arm its own, non-deferred timer.
    super(withoutCommandTimeout(options));
    this.commandTimeoutMs = options.commandTimeout;
  }

  override sendCommand(command: Command, stream?: WriteableStream): unknown {
    if (this.commandTimeoutMs !== undefined) {
      armCommandDeadline(command, this.commandTimeoutMs + queuedAllowanceMs(this));
    }
    return super.sendCommand(command, stream);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new DeadlineRedis({
      ...this.options,
      ...(this.commandTimeoutMs === undefined ? {} : { commandTimeout: this.commandTimeoutMs }),
      ...override,
    });
  }
}

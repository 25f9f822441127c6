import type { Command } from 'ioredis';
import { setDeferredDeadline } from './set-deferred-deadline.js';

/** The ioredis `Command` internals this mirrors: its timer field is cleared when it settles. */
interface CommandInternals {
  _commandTimeoutTimer?: NodeJS.Timeout;
}

/**
 * ioredis' `Command#setTimeout` with a deferred deadline ({@link setDeferredDeadline}): rejects
 * `command` with ioredis' own `Command timed out` error if it is still unanswered `ms` after it
 * was first sent. Armed once per command like ioredis does (a command can be sent again: offline
 * queue, cluster redirection). The timer goes in ioredis' own field so that ioredis clears it
 * when the command settles, as it does for its own timer.
 */
export function armCommandDeadline(command: Command, ms: number): void {
  const internals = command as unknown as CommandInternals;
  if (internals._commandTimeoutTimer) return;
  internals._commandTimeoutTimer = setDeferredDeadline(() => {
    if (!command.isResolved) command.reject(new Error('Command timed out'));
  }, ms);
}

import { constants } from 'node:os';

/**
 * The exit code of a process that a signal ended, as shells report it: 128 plus the signal's
 * number (130 for SIGINT, 143 for SIGTERM); 1 for a reason that is not a signal.
 */
export function signalExitCode(signal: string): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? 1 : 128 + number;
}

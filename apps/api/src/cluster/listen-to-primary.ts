import type { ProcessLifecycle } from '@conveyor/runtime';
import { isClusterMessage } from './cluster-message.js';

/**
 * Lets the primary of a multi-process API (`API_PROCESSES` > 1), which owns the signals, stop
 * this process: its `conveyor:stop` starts the graceful stop (exit 0), and a process whose
 * primary is gone stops too (exit 1).
 */
export function listenToPrimary(lifecycle: ProcessLifecycle): void {
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message) && message.type === 'conveyor:stop') {
      void lifecycle.stop('asked by the primary process', 0);
    }
  });
  process.on('disconnect', () => void lifecycle.stop('the primary process is gone', 1));
}

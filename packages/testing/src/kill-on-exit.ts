import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

/** Signals whose default action ends the process without an 'exit' event. */
const FATAL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Makes sure `child` is SIGKILLed if this process ends while it still runs, so a crashed or
 * interrupted test run never leaves a Redis holding a port and a temp folder.
 */
export function killOnExit(child: ChildProcess): void {
  install();
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

/**
 * Deletes `dir` if this process ends before the returned function is called, so killed test
 * runs do not pile up Redis folders in the temp directory. Call the returned function once the
 * folder has been removed normally.
 */
export function removeOnExit(dir: string): () => void {
  install();
  tempDirs.add(dir);
  return () => tempDirs.delete(dir);
}

/**
 * SIGKILLs every child registered with {@link killOnExit} that still runs, then deletes the
 * folders registered with {@link removeOnExit}.
 */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
  running.clear();
  for (const dir of tempDirs) {
    try {
      // A child just SIGKILLed may still be closing files in it: retry briefly.
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch {
      // Best effort: the process is ending either way.
    }
  }
  tempDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllChildren);
  for (const signal of FATAL_SIGNALS) {
    const onSignal = () => {
      killAllChildren();
      // Keep the signal's usual effect when no one else handles it: we were only passing by.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

import { writeSync } from 'node:fs';
import { type DestinationStream, pino } from 'pino';

/** Options for {@link bufferedStdout}. */
export interface BufferedStdoutOptions {
  /**
   * Characters of log lines gathered before they are written as one chunk.
   * @defaultValue 8192
   */
  minBytes?: number;
  /**
   * Longest an info or debug line waits in the buffer before it is written anyway.
   * @defaultValue 100
   */
  flushIntervalMs?: number;
}

/** pino's numeric `warn`: lines at this level and above are written at once. */
const WARN = 40;

/**
 * Standard output for logs, written in batches of about `minBytes` instead of one `write` per
 * line. A worker logs a line per job and the API one per request, and one write per line cost the
 * worker about a tenth of its CPU in `pnpm bench`. Warnings and errors are written at once, info
 * and debug lines within `flushIntervalMs`.
 *
 * The lines are gathered here, in an array joined once per batch, and handed to sonic-boom
 * (pino's destination) a batch at a time. sonic-boom's own buffering (`minLength`) measures the
 * byte length of its whole pending buffer on every line, which cost 4 µs a line, two thirds of
 * a worker's per-job logging. Pending lines are written when the process exits (`process.exit`
 * included), in order, so only a SIGKILL can lose the last lines.
 */
export function bufferedStdout(options: BufferedStdoutOptions = {}): DestinationStream {
  const { minBytes = 8192, flushIntervalMs = 100 } = options;
  let pending: string[] = [];
  let pendingLength = 0;
  let closed = false;
  const take = () => {
    const chunk = pending.join('');
    pending = [];
    pendingLength = 0;
    return chunk;
  };
  const drain = () => {
    if (pendingLength > 0 && !closed) stream.write(take());
  };
  // At exit (process.exit included) the pending lines are written at once.
  process.once('exit', () => {
    if (pendingLength === 0) return;
    const chunk = take();
    try {
      if (closed) throw new Error('closed');
      stream.write(chunk);
      stream.flushSync();
    } catch {
      try {
        writeSync(1, chunk);
      } catch {
        // Nothing left to write to.
      }
    }
  });
  // minLength 0: each batch goes out at once. Synchronous, as Node's own stdout is on Linux for
  // files, pipes and terminals: one write a batch, none in flight at exit. Asynchronous, a batch
  // flushed at exit overtook the one still being written (lines out of order, `pnpm test`).
  const stream = pino.destination({ dest: 1, minLength: 0, sync: true });
  const timer = setInterval(drain, flushIntervalMs);
  // The timer must not keep an otherwise finished process alive.
  timer.unref();
  stream.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  const destination = {
    // pino sets `lastLevel` before each write to a stream that asks for it.
    [pino.symbols.needsMetadataGsym]: true as const,
    lastLevel: 0,
    write(line: string) {
      pending.push(line);
      pendingLength += line.length;
      if (destination.lastLevel >= WARN || pendingLength >= minBytes) drain();
    },
  };
  return destination;
}

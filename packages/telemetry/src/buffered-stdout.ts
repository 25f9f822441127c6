import { type DestinationStream, pino } from 'pino';

/** Options for {@link bufferedStdout}. */
export interface BufferedStdoutOptions {
  /**
   * Bytes of log lines gathered before they are written (below sonic-boom's 16 KiB write size).
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
 * and debug lines within `flushIntervalMs`. pino flushes the buffer synchronously when the
 * process exits (`process.exit` included), so only a SIGKILL can lose the last lines.
 */
export function bufferedStdout(options: BufferedStdoutOptions = {}): DestinationStream {
  const { minBytes = 8192, flushIntervalMs = 100 } = options;
  const stream = pino.destination({ dest: 1, minLength: minBytes, sync: false });
  let closed = false;
  const timer = setInterval(() => {
    if (!closed) stream.flush();
  }, flushIntervalMs);
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
      stream.write(line);
      if (destination.lastLevel >= WARN && !closed) stream.flush();
    },
  };
  return destination;
}

import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Longest output kept in memory; a chatty process must not exhaust the test runner. */
const MAX_CHARS = 1024 * 1024;

/** The last `lines` lines of `text`, for quoting a process's output in an error message. */
export function tailLines(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Collects the interleaved stdout and stderr of a child process, keeps its tail in memory and
 * tells listeners about each complete line.
 */
export class OutputBuffer {
  #text = '';
  readonly #lineListeners = new Set<(line: string) => void>();

  /** Reads `stream` into the buffer until it ends. */
  capture(stream: Readable | null): void {
    if (stream === null) return;
    const decoder = new StringDecoder('utf8');
    // Lines are split per stream so that stdout and stderr chunks cannot glue two halves.
    let partial = '';
    const take = (text: string) => {
      this.append(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.#emitLine(line.replace(/\r$/, ''));
    };
    stream.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    stream.on('end', () => {
      take(decoder.end());
      if (partial !== '') this.#emitLine(partial);
      partial = '';
    });
  }

  /** Adds text that did not come from the child (a note about a spawn failure). */
  append(text: string): void {
    this.#text += text;
    if (this.#text.length > MAX_CHARS) this.#text = this.#text.slice(-MAX_CHARS);
  }

  text(): string {
    return this.#text;
  }

  /** The last `lines` lines, for error messages. */
  tail(lines = 30): string {
    return tailLines(this.#text, lines);
  }

  /** Every complete line already captured, oldest first. */
  lines(): string[] {
    return this.#text.split('\n').map((line) => line.replace(/\r$/, ''));
  }

  /** Calls `listener` for each line completed from now on; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  #emitLine(line: string): void {
    for (const listener of this.#lineListeners) listener(line);
  }
}

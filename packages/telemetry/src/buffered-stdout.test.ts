import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built module (turbo builds before testing): a child process cannot load TypeScript. */
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs `code` (an ES module with `createLogger`, `bufferedStdout` in scope); collects stdout. */
function runLogger(code: string, stopAfterLines?: number) {
  const script = `import { bufferedStdout, createLogger } from ${JSON.stringify(BUILT)};\n${code}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let firstLineAfterMs: number | undefined;
  const started = performance.now();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    firstLineAfterMs ??= performance.now() - started;
    lines.push(...chunk.split('\n').filter(Boolean));
    if (stopAfterLines !== undefined && lines.length >= stopAfterLines) child.kill();
  });
  return new Promise<{ lines: string[]; firstLineAfterMs: number | undefined }>((resolve) => {
    child.once('close', () => resolve({ lines, firstLineAfterMs }));
  });
}

describe('createLogger on standard output', () => {
  it('writes every line, batched, when the process exits right after logging', async () => {
    const { lines } = await runLogger(
      `const logger = createLogger({ name: 't' });
       for (let i = 0; i < 500; i++) logger.info({ i }, 'line');
       process.exit(0);`,
    );
    // In order: a batch written at exit must not overtake one still being written.
    expect(lines.map((line) => JSON.parse(line).i)).toEqual(
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it('writes a warning at once, while info lines wait for the batch', async () => {
    const { lines } = await runLogger(
      `const destination = bufferedStdout({ flushIntervalMs: 60_000 });
       const logger = createLogger({ name: 't', destination });
       logger.info('buffered');
       setTimeout(() => logger.warn('urgent'), 200);
       setTimeout(() => {}, 10_000);`,
      2,
    );
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['buffered', 'urgent']);
  });

  it('writes a lone line within the flush interval while the process keeps running', async () => {
    const { lines, firstLineAfterMs } = await runLogger(
      `createLogger({ name: 't' }).info('started');
       setTimeout(() => {}, 10_000);`,
      1,
    );
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['started']);
    // Process start-up included; without the interval flush the line would wait for exit.
    expect(firstLineAfterMs).toBeLessThan(5000);
  });
});

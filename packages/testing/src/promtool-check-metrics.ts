import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { defaultBinarySearchPath, isExecutableFile } from './find-redis-binary.js';

/** What `promtool check metrics` said about an exposition. */
export interface PromtoolVerdict {
  /** 0 when the exposition is valid and lint-clean. */
  code: number | null;
  /** Its findings (it prints them on standard error). */
  output: string;
}

/**
 * Absolute path of `promtool` (Debian package `prometheus`; `.ci/run` installs it), or
 * undefined on a machine without it.
 */
export function findPromtool(
  searchPath: readonly string[] = defaultBinarySearchPath(),
): string | undefined {
  return searchPath.map((dir) => join(dir, 'promtool')).find(isExecutableFile);
}

/** `promtool`'s path; throws, saying how to install it, on a machine without it. */
export function requirePromtool(): string {
  const promtool = findPromtool();
  if (promtool === undefined) {
    throw new Error(
      'promtool is not installed: the metrics tests lint every /metrics with it ' +
        '(Debian/Ubuntu: apt-get install prometheus; .ci/run installs it)',
    );
  }
  return promtool;
}

/**
 * Runs `promtool check metrics` on a Prometheus text exposition, as Prometheus users lint one.
 * @param promtool defaults to {@link requirePromtool}'s answer.
 */
export function promtoolCheckMetrics(
  text: string,
  promtool: string = requirePromtool(),
): Promise<PromtoolVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        output += chunk;
      });
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

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

/** Runs `promtool check metrics` on a Prometheus text exposition, as Prometheus users lint one. */
export function promtoolCheckMetrics(promtool: string, text: string): Promise<PromtoolVerdict> {
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

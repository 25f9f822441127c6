import type { AppProcess } from './app-process.js';

/** One secret found in one process's output. */
export interface SecretLeak {
  process: string;
  secret: string;
  line: string;
}

/**
 * Searches every line every process printed for each secret, as given and as it would appear
 * percent-encoded in a URL. Returns the leaks (the line is shortened and the secret masked).
 */
export function findSecretLeaks(
  processes: readonly AppProcess[],
  secrets: Record<string, string>,
): SecretLeak[] {
  const needles = Object.entries(secrets).flatMap(([name, value]) =>
    [...new Set([value, encodeURIComponent(value)])].map((form) => ({ name, form })),
  );
  const leaks: SecretLeak[] = [];
  for (const process of processes) {
    for (const line of process.logs().split('\n')) {
      for (const { name, form } of needles) {
        if (!line.includes(form)) continue;
        leaks.push({
          process: process.name,
          secret: name,
          line: line.replaceAll(form, `<${name}>`).slice(0, 300),
        });
      }
    }
  }
  return leaks;
}

/** Lines printed, over all processes: the size of what was scanned. */
export function countLines(processes: readonly AppProcess[]): number {
  return processes.reduce((sum, process) => sum + process.logs().split('\n').length - 1, 0);
}

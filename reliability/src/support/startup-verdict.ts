import { waitFor } from '@conveyor/testing';
import type { AppProcess } from './app-process.js';
import { request } from './http.js';

/** How a process misconfigured with wrong Redis credentials told the operator. */
export interface StartupVerdict {
  /** `exited 1` or `not ready`, or `silent` when it did neither clearly. */
  how: 'exited' | 'not-ready' | 'silent';
  /** The line or readiness problem that names the credentials problem. */
  message: string;
  seconds: number;
}

/** A message that names the problem: the credentials, not "unreachable" or a stream state. */
const NAMES_CREDENTIALS = /credential|password|WRONGPASS|NOAUTH|auth/i;

/**
 * Waits (bounded) for a process started with wrong Redis credentials to say so clearly: by
 * exiting non-zero with a message naming the credentials, or by answering `/readyz` 503 with
 * a problem naming them.
 */
export async function startupVerdict(
  process: AppProcess,
  readyUrl: string,
  timeoutMs = 15_000,
): Promise<StartupVerdict> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    return await waitFor(
      async (): Promise<StartupVerdict | undefined> => {
        if (!process.running) {
          const { code } = await process.exited;
          // The last such line: the one the process stopped on, not the retries before it.
          const line = process
            .logs()
            .split('\n')
            .findLast((text) => NAMES_CREDENTIALS.test(text));
          return {
            how: code !== 0 && line !== undefined ? 'exited' : 'silent',
            message: `exit ${code}: ${line ?? process.tail(3)}`,
            seconds: seconds(),
          };
        }
        const answer = await request(readyUrl, { timeoutMs: 3000 });
        const problems = (answer.json as { problems?: string[] } | undefined)?.problems ?? [];
        const named = problems.find((problem) => NAMES_CREDENTIALS.test(problem));
        if (answer.status === 503 && named !== undefined) {
          return { how: 'not-ready', message: named, seconds: seconds() };
        }
        return undefined;
      },
      {
        description: `${process.name} to report the wrong credentials`,
        timeoutMs,
        intervalMs: 200,
      },
    );
  } catch {
    return { how: 'silent', message: process.tail(3), seconds: seconds() };
  }
}

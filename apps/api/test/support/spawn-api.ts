import { fileURLToPath } from 'node:url';
import { type ChildHandle, getFreePort, spawnProcess } from '@conveyor/testing';

/** The built entry point, rebuilt when stale by the vitest global setup (`build-once.ts`). */
export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A running `node dist/main.js`. */
export interface SpawnedApi {
  child: ChildHandle;
  url: string;
  port: number;
}

/** Runs the built API with exactly `env` (plus PATH), on a free port of 127.0.0.1. */
export async function spawnApi(
  env: Record<string, string>,
  options: { waitUntilListening?: boolean } = {},
): Promise<SpawnedApi> {
  const port = await getFreePort();
  const child = spawnProcess('node', [MAIN], {
    name: 'api',
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  if (options.waitUntilListening ?? true) await child.waitForOutput('api listening', 15_000);
  return { child, url: `http://127.0.0.1:${port}`, port };
}

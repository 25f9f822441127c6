import { get } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort, waitForHttp } from '@conveyor/testing';
import { APP_SETTINGS } from './app-settings.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';

/** Options for {@link startConveyorApi}. */
export interface ConveyorApiOptions {
  /** `apps/api/dist/main.js`. */
  script: string;
  redisUrl: string;
  /** The bearer secret of client `bench`. */
  secret: string;
  /** Folder for the log file (and CPU profiles when `cpuProfDir` is set). */
  dir: string;
  /** Write a `--cpu-prof` profile here when the process exits. @defaultValue no profile */
  cpuProfDir?: string;
  /**
   * HTTP processes (`API_PROCESSES`).
   * @defaultValue `APP_SETTINGS.apiProcesses`
   */
  processes?: number;
  /** More environment, overriding the defaults. @defaultValue none */
  env?: Record<string, string>;
  /**
   * Name of the process and of its log file (`<name>.log`), for a run with more than one API.
   * @defaultValue 'api'
   */
  name?: string;
}

/** The real API, listening on 127.0.0.1. */
export interface ConveyorApi {
  process: NodeProcess;
  url: string;
  /** `Authorization` header value for `/v1`. */
  authorization: string;
}

/** Starts `node apps/api/dist/main.js` and resolves once `/readyz` answers 200. */
export async function startConveyorApi(options: ConveyorApiOptions): Promise<ConveyorApi> {
  const port = await getFreePort();
  const processes = options.processes ?? APP_SETTINGS.apiProcesses;
  const child = startNodeProcess({
    name: options.name ?? 'api',
    script: options.script,
    logFile: join(options.dir, `${options.name ?? 'api'}.log`),
    nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    env: {
      NODE_ENV: APP_SETTINGS.nodeEnv,
      REDIS_URL: options.redisUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      API_TOKENS: `bench:${options.secret}`,
      LOG_LEVEL: APP_SETTINGS.logLevel,
      RATE_LIMIT_PER_MINUTE: String(APP_SETTINGS.rateLimitPerMinute),
      API_PROCESSES: String(processes),
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForHttp(`${url}/readyz`, { timeoutMs: 20_000, status: 200 }),
      child.exited.then((how) => {
        throw new Error(`the API exited (${how}) before it was ready:\n${child.logTail()}`);
      }),
    ]);
  } catch (error) {
    await child.stop(2000);
    throw error;
  }
  await allProcessesReady(url, processes);
  return { process: child, url, authorization: `Bearer ${options.secret}` };
}

/** `GET /readyz` on a connection of its own, which the cluster may hand to any process. */
function readyOnNewConnection(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    get(`${url}/readyz`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

/**
 * Each API process reports only its own readiness, and Node's cluster deals new connections to
 * the processes in turn: twice as many ready answers in a row as there are processes means every
 * one of them has its Redis connections up, so the first measured request cannot meet a 503.
 */
async function allProcessesReady(url: string, processes: number): Promise<void> {
  const deadline = performance.now() + 20_000;
  let inARow = 0;
  while (inARow < 2 * processes) {
    if (performance.now() > deadline) throw new Error('not every API process became ready');
    if (await readyOnNewConnection(url)) inARow += 1;
    else {
      inARow = 0;
      await sleep(50);
    }
  }
}

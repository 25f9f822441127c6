import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFreePort, waitForHttp } from '@conveyor/testing';
import { AppProcess } from './app-process.js';
import { API_MAIN, LOGS_DIR, WORKER_MAIN } from './paths.js';
import { type RedisTopology, redisEnv } from './redis-topology.js';
import { API_CLIENT, type SuiteSecrets } from './secrets.js';

/** A started API: its process and where to reach it. */
export interface ApiHandle {
  process: AppProcess;
  url: string;
}

/** A started worker: its process and its health server. */
export interface WorkerHandle {
  process: AppProcess;
  /** `/healthz`, `/readyz`, `/metrics`. */
  healthUrl: string;
}

/** Options for {@link Deployment}. */
export interface DeploymentOptions {
  /** Names the log folder `results/logs/<scenario>`. */
  scenario: string;
  topology: RedisTopology;
  secrets: SuiteSecrets;
  /** Variables every worker gets (SLACK_API_URL, INGEST_OUTPUT_DIR, lock settings...). */
  workerEnv?: Record<string, string>;
  /** Variables every API gets. */
  apiEnv?: Record<string, string>;
}

/** How long a process may take from spawn to its "listening" or "started" line. */
const START_TIMEOUT_MS = 20_000;

/**
 * The apps of one scenario, started as production starts them (`node dist/main.js`, configured
 * by environment only), with every process ever started kept for the log scan at the end.
 */
export class Deployment {
  readonly logDir: string;
  readonly processes: AppProcess[] = [];
  readonly #options: DeploymentOptions;
  readonly #counters = new Map<string, number>();

  constructor(options: DeploymentOptions) {
    for (const main of [API_MAIN, WORKER_MAIN]) {
      if (!existsSync(main)) {
        throw new Error(
          `${main} is missing: build the apps first (turbo does for test:reliability)`,
        );
      }
    }
    this.#options = options;
    this.logDir = join(LOGS_DIR, options.scenario);
  }

  /** The environment an API gets, before `extra`. */
  apiEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
    const { topology, secrets } = this.#options;
    return {
      HOST: '127.0.0.1',
      PORT: String(port),
      API_TOKENS: `${API_CLIENT}:${secrets.apiToken}`,
      SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
      LOG_LEVEL: 'info',
      ...redisEnv(topology),
      ...this.#options.apiEnv,
      ...extra,
    };
  }

  /**
   * Starts an API and resolves once it answers `/readyz` 200 (see {@link apiReady}); with
   * `waitUntil: 'listening'` once it listens, with `'spawned'` at once.
   */
  async startApi(
    extra: Record<string, string> = {},
    options: { waitUntil?: 'ready' | 'listening' | 'spawned' } = {},
  ): Promise<ApiHandle> {
    const port = await getFreePort();
    const process = this.#spawn('api', API_MAIN, this.apiEnv(port, extra));
    const api = { process, url: `http://127.0.0.1:${port}` };
    const waitUntil = options.waitUntil ?? 'ready';
    if (waitUntil === 'ready') await this.apiReady(api);
    else if (waitUntil === 'listening') {
      await process.waitForLine(/"msg":"api listening"/, START_TIMEOUT_MS);
    }
    return api;
  }

  /**
   * Resolves once `api` answers `/readyz` 200. A lone API listens before its Redis connections
   * are ready and answers 503 `not connected` meanwhile (how long depends on the machine's load):
   * a test that needs its first request stored waits for this, not for "api listening".
   */
  async apiReady(api: ApiHandle): Promise<void> {
    await api.process.waitForLine(/"msg":"api listening"/, START_TIMEOUT_MS);
    const ready = await waitForHttp(`${api.url}/readyz`, {
      status: 200,
      timeoutMs: START_TIMEOUT_MS,
    });
    await ready.body?.cancel();
  }

  /** Starts a worker and resolves once it runs (or at once with `waitUntilStarted: false`). */
  async startWorker(
    extra: Record<string, string> = {},
    options: { waitUntilStarted?: boolean } = {},
  ): Promise<WorkerHandle> {
    const { topology, secrets } = this.#options;
    const port = await getFreePort();
    const process = this.#spawn('worker', WORKER_MAIN, {
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_HTTP_PORT: String(port),
      SLACK_BOT_TOKEN: secrets.slackBotToken,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...redisEnv(topology),
      ...this.#options.workerEnv,
      ...extra,
    });
    if (options.waitUntilStarted ?? true) {
      await process.waitForLine(/"msg":"worker started"/, START_TIMEOUT_MS);
    }
    return { process, healthUrl: `http://127.0.0.1:${port}` };
  }

  /** Stops every process still running (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.stop(8000)));
  }

  /** Keeps `text` (the Redis processes' output) as `<name>.log` beside the apps' logs. */
  writeLog(name: string, text: string): void {
    mkdirSync(this.logDir, { recursive: true });
    writeFileSync(join(this.logDir, `${name}.log`), text);
  }

  #spawn(role: string, script: string, env: Record<string, string>): AppProcess {
    const count = (this.#counters.get(role) ?? 0) + 1;
    this.#counters.set(role, count);
    const process = AppProcess.start({
      name: `${role}-${count}`,
      script,
      env,
      logDir: this.logDir,
    });
    this.processes.push(process);
    return process;
  }
}

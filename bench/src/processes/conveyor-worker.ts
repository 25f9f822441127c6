import { join } from 'node:path';
import { APP_SETTINGS } from './app-settings.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';

/** Options for {@link startConveyorWorker}. */
export interface ConveyorWorkerOptions {
  /** `apps/worker/dist/main.js`. */
  script: string;
  redisUrl: string;
  /** `WORKER_QUEUES`. */
  queues: string[];
  /** `WORKER_CONCURRENCY` (every consumed queue). */
  concurrency: number;
  /** Folder for the log file and the ingestion output. */
  dir: string;
  /** Label of the log file, e.g. `worker-throughput`. */
  name: string;
  /** Write a `--cpu-prof` profile here when the process exits. @defaultValue no profile */
  cpuProfDir?: string;
  /** More environment, overriding the defaults. @defaultValue none */
  env?: Record<string, string>;
}

/**
 * Starts `node apps/worker/dist/main.js` with its health server off (`WORKER_HTTP_PORT=0`).
 * Whether it consumes is for the caller to find out, by a job it completes.
 */
export function startConveyorWorker(options: ConveyorWorkerOptions): NodeProcess {
  return startNodeProcess({
    name: options.name,
    script: options.script,
    logFile: join(options.dir, `${options.name}.log`),
    nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    env: {
      NODE_ENV: APP_SETTINGS.nodeEnv,
      REDIS_URL: options.redisUrl,
      WORKER_QUEUES: options.queues.join(','),
      WORKER_CONCURRENCY: String(options.concurrency),
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: APP_SETTINGS.logLevel,
      INGEST_OUTPUT_DIR: join(options.dir, 'ingest'),
      ...options.env,
    },
  });
}

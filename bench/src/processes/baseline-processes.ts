import { join } from 'node:path';
import { getFreePort, waitForHttp } from '@conveyor/testing';
import { APP_SETTINGS } from './app-settings.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';

/** BullMQ key prefix of every baseline, so that its keys never mix with Conveyor's. */
export const BASELINE_PREFIX = 'baseline';

const script = (name: string) => new URL(`../baselines/${name}.js`, import.meta.url).pathname;

/** The baseline HTTP server, listening on 127.0.0.1. */
export interface BaselineHttp {
  process: NodeProcess;
  url: string;
}

/** Starts the minimal Express + `queue.add` server and resolves once it answers. */
export async function startBaselineHttp(redisUrl: string, dir: string): Promise<BaselineHttp> {
  const port = await getFreePort();
  const child = startNodeProcess({
    name: 'baseline-http',
    script: script('baseline-http-server'),
    logFile: join(dir, 'baseline-http.log'),
    env: {
      NODE_ENV: APP_SETTINGS.nodeEnv,
      REDIS_URL: redisUrl,
      PORT: String(port),
      QUEUE_PREFIX: BASELINE_PREFIX,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForHttp(`${url}/healthz`, { timeoutMs: 20_000 }),
      child.exited.then((how) => {
        throw new Error(`the baseline server exited (${how}):\n${child.logTail()}`);
      }),
    ]);
  } catch (error) {
    await child.stop(2000);
    throw error;
  }
  return { process: child, url };
}

/** Starts a raw BullMQ Worker with a no-op processor on each of `queues`. */
export function startBaselineWorker(options: {
  redisUrl: string;
  dir: string;
  queues: string[];
  concurrency: number;
  name: string;
  /**
   * BullMQ key prefix of the queues it consumes: another than the baselines' to run the raw
   * worker on jobs some other producer stored (Conveyor's API, under a prefix of its own).
   * @defaultValue {@link BASELINE_PREFIX}
   */
  prefix?: string;
}): NodeProcess {
  return startNodeProcess({
    name: options.name,
    script: script('baseline-worker'),
    logFile: join(options.dir, `${options.name}.log`),
    env: {
      NODE_ENV: APP_SETTINGS.nodeEnv,
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix ?? BASELINE_PREFIX,
      QUEUES: options.queues.join(','),
      CONCURRENCY: String(options.concurrency),
    },
  });
}

/** Starts a groupmq Worker with a no-op handler on `namespace`; see `baseline-groupmq-worker`. */
export function startGroupmqWorker(options: {
  redisUrl: string;
  dir: string;
  namespace: string;
  concurrency: number;
  /** Groups whose job starts the worker writes to its log. */
  reportGroups: string[];
  name: string;
}): { process: NodeProcess; logFile: string } {
  const logFile = join(options.dir, `${options.name}.log`);
  const child = startNodeProcess({
    name: options.name,
    script: script('baseline-groupmq-worker'),
    logFile,
    env: {
      NODE_ENV: APP_SETTINGS.nodeEnv,
      REDIS_URL: options.redisUrl,
      NAMESPACE: options.namespace,
      CONCURRENCY: String(options.concurrency),
      REPORT_GROUPS: options.reportGroups.join(','),
    },
  });
  return { process: child, logFile };
}

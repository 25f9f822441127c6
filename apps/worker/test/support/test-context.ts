import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer, type QueueName } from '@conveyor/queues';
import { closeRedisConnection, createRedisConnection, type RedisConnection } from '@conveyor/redis';
import { waitForConnections } from '@conveyor/runtime';
import { createLogger } from '@conveyor/telemetry';
import { type ChildHandle, spawnProcess, waitFor } from '@conveyor/testing';
import type { Job } from 'bullmq';
import { inject } from 'vitest';
import { createWorkerApp, type WorkerApp, type WorkerAppDependencies } from '../../src/app.js';
import { loadEnvironment } from '../../src/env.js';
import type { WorkerConnections } from '../../src/worker-connections.js';

export const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A parsed pino line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A worker app running inside the test process. */
export interface InProcessWorker {
  app: WorkerApp;
  logs: LogLine[];
  connections: WorkerConnections;
  /** Stops the app and closes its connections. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Options for {@link TestContext.startWorker}. */
export interface StartWorkerOptions
  extends Partial<Pick<WorkerAppDependencies, 'configureHandlers' | 'sink'>> {
  /** Environment variables on top of the context's. */
  env?: Record<string, string>;
}

/**
 * Everything one test file needs against the shared test Redis: a private BullMQ prefix, an
 * output folder, a producer, and workers started in process or as child processes.
 */
export class TestContext {
  readonly prefix = `t${randomUUID().slice(0, 8)}`;
  readonly producer: Producer;
  readonly #producerConnection: RedisConnection;
  readonly #workers: InProcessWorker[] = [];
  readonly #children: ChildHandle[] = [];

  private constructor(
    readonly outputDir: string,
    readonly baseEnv: Record<string, string>,
  ) {
    const { redis } = loadEnvironment(this.env());
    this.#producerConnection = createRedisConnection(redis, 'producer');
    this.producer = new Producer({ connection: this.#producerConnection, prefix: this.prefix });
  }

  /** The producer's connection (fail-fast role), for what the API does beside the producer. */
  get producerConnection(): RedisConnection {
    return this.#producerConnection;
  }

  static async create(env: Record<string, string> = {}): Promise<TestContext> {
    const outputDir = await mkdtemp(join(tmpdir(), 'conveyor-worker-'));
    const context = new TestContext(outputDir, env);
    // The producer's connection fails fast: it must be connected before the first enqueue.
    await waitFor(() => context.#producerConnection.status === 'ready', {
      description: 'the producer connection to be ready',
    });
    return context;
  }

  /** The full environment of a worker of this context. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: this.prefix,
      WORKER_HTTP_PORT: '0',
      WORKER_HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      INGEST_OUTPUT_DIR: this.outputDir,
      INGEST_ALLOW_PRIVATE_URLS: 'true',
      // Short locks so a killed worker's jobs are taken over within seconds.
      WORKER_LOCK_DURATION_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...this.baseEnv,
      ...overrides,
    };
  }

  /** Starts a worker app in this process. */
  async startWorker(options: StartWorkerOptions = {}): Promise<InProcessWorker> {
    const { redis, worker: config } = loadEnvironment(this.env(options.env));
    const logs: LogLine[] = [];
    const logger = createLogger({
      name: 'worker',
      level: config.logLevel,
      destination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
    });
    const connections: WorkerConnections = {
      worker: createRedisConnection(redis, 'worker'),
      admin: createRedisConnection(redis, 'admin'),
    };
    const app = createWorkerApp({
      config,
      prefix: redis.prefix,
      connections,
      logger,
      ...(options.configureHandlers ? { configureHandlers: options.configureHandlers } : {}),
      ...(options.sink ? { sink: options.sink } : {}),
    });
    // What the process lifecycle does in main.ts before it starts the app.
    await waitForConnections(Object.values(connections), 5000);
    await app.start();
    let stopped: Promise<void> | undefined;
    const handle: InProcessWorker = {
      app,
      logs,
      connections,
      stop: (timeoutMs) => {
        stopped ??= (async () => {
          await app.stop(timeoutMs);
          await Promise.all(Object.values(connections).map((c) => closeRedisConnection(c)));
        })();
        return stopped;
      },
    };
    this.#workers.push(handle);
    return handle;
  }

  /** Starts `node dist/main.js` with this context's environment. */
  spawnWorker(name: string, env: Record<string, string> = {}): ChildHandle {
    const child = spawnProcess(process.execPath, ['dist/main.js'], {
      name,
      cwd: APP_DIR,
      env: { PATH: process.env.PATH ?? '', ...this.env(env) },
    });
    this.#children.push(child);
    return child;
  }

  /** Waits until job `id` is in one of `states` and returns it. */
  async waitForJob(
    queue: QueueName,
    id: string,
    options: { states?: string[]; timeoutMs?: number } = {},
  ): Promise<Job> {
    const states = options.states ?? ['completed', 'failed'];
    return waitFor(
      async () => {
        // State first, then the job: a job read before it finished would be stale.
        const state = await this.producer.queue(queue).getJobState(id);
        if (!states.includes(state)) return undefined;
        return this.producer.queue(queue).getJob(id);
      },
      {
        timeoutMs: options.timeoutMs ?? 15_000,
        description: `job ${id} on ${queue} to be ${states.join(' or ')}`,
      },
    );
  }

  /** Adds a job through the catalog (validated like the API does) and returns its id. */
  async enqueue(queue: QueueName, data: unknown, name?: string): Promise<string> {
    const result = await this.producer.enqueue(queue, { data, ...(name ? { name } : {}) });
    return result.id;
  }

  async close(): Promise<void> {
    await Promise.all(this.#children.map((child) => child.stop(5000)));
    await Promise.all(this.#workers.map((worker) => worker.stop(2000)));
    await this.producer.close();
    await closeRedisConnection(this.#producerConnection);
    await rm(this.outputDir, { recursive: true, force: true });
  }
}

/** Lines of `logs` whose message is `msg`. */
export function logsWithMessage(logs: LogLine[], msg: string): LogLine[] {
  return logs.filter((line) => line.msg === msg);
}

import { hostname } from 'node:os';
import { SlackInstallationStore, TokenCipher } from '@conveyor/slack';
import {
  createJobMetrics,
  createMetricsRegistry,
  type Logger,
  type Registry,
} from '@conveyor/telemetry';
import type { Worker } from 'bullmq';
import { HandlerRegistry } from './handlers/handler-registry.js';
import type { Readiness } from './http/health-server.js';
import type { ChunkSink } from './ingestion/chunk-sink.js';
import { DocumentFetcher } from './ingestion/document-fetcher.js';
import { DocumentLocks } from './ingestion/document-lock.js';
import { ingestHandler } from './ingestion/ingest-handler.js';
import { IngestStateStore } from './ingestion/ingest-state-store.js';
import { JsonlFileSink } from './ingestion/jsonl-file-sink.js';
import { TextPipelinePool } from './ingestion/text-pipeline-pool.js';
import { Launcher, type StopResult } from './launcher.js';
import { ReplyLedger } from './slack/delivery/reply-ledger.js';
import { ResponseUrlClient } from './slack/delivery/response-url-client.js';
import { SlackClients } from './slack/delivery/slack-clients.js';
import {
  registerSlackHandlers,
  type SlackHandlerServices,
} from './slack/register-slack-handlers.js';
import type { WorkerConfig } from './worker-config.js';
import type { WorkerConnections } from './worker-connections.js';

/** What {@link createWorkerApp} is built from. */
export interface WorkerAppDependencies {
  /** The parsed worker settings (`loadEnvironment(...).worker`). */
  config: WorkerConfig;
  /** BullMQ key prefix (`loadEnvironment(...).redis.prefix`). */
  prefix: string;
  /** The process's connections; the app never closes them, their creator does. */
  connections: WorkerConnections;
  logger: Logger;
  /**
   * Adds or replaces handlers after the built-in ones are registered: how a team adds a Slack
   * event type or a whole catalog queue.
   * @defaultValue no change
   */
  configureHandlers?: (registry: HandlerRegistry) => void;
  /**
   * Where ingested chunks go.
   * @defaultValue JSON Lines files under `config.ingest.outputDir`
   */
  sink?: ChunkSink;
  /** Texts of the built-in Slack handlers. @defaultValue built-in acknowledgements */
  slack?: Pick<SlackHandlerServices, 'composeMentionReply' | 'slashCommands'>;
  /** Metrics registry. @defaultValue a new one with Node process metrics, `app="worker"` */
  metricsRegistry?: Registry;
}

/** A worker process's runtime, built but not started. */
export interface WorkerApp {
  readonly registry: HandlerRegistry;
  readonly metricsRegistry: Registry;
  /**
   * Prepares the sink, starts the workers and the HTTP server. Checking Redis and waiting for
   * the connections is the process's job (`ProcessLifecycle`).
   */
  start(): Promise<void>;
  /** Graceful stop; see {@link Launcher.stop}. @defaultValue config.shutdownTimeoutMs */
  stop(timeoutMs?: number): Promise<StopResult>;
  readiness(): Promise<Readiness>;
  /** The health server's port while it listens. */
  readonly httpPort: number | undefined;
  /** The BullMQ Worker of a consumed queue. */
  worker(queue: WorkerConfig['queues'][number]): Worker | undefined;
  /** Aborts a running job's signal, as a cancellation does; see {@link Launcher.abortJob}. */
  abortJob(queue: WorkerConfig['queues'][number], id: string, reason?: unknown): boolean;
}

/** Builds the handler registry with the built-in Slack and ingestion handlers. */
function buildRegistry(
  deps: WorkerAppDependencies,
  sink: ChunkSink,
  pipeline: TextPipelinePool,
): HandlerRegistry {
  const { config, prefix, connections, logger } = deps;
  const ledger = new ReplyLedger({ connection: connections.admin, prefix });
  const installations = config.slack.tokenKeys
    ? new SlackInstallationStore({
        connection: connections.admin,
        prefix,
        cipher: new TokenCipher(config.slack.tokenKeys),
      })
    : undefined;
  const clients = new SlackClients({
    ...(installations ? { installations } : {}),
    ...(config.slack.botToken ? { fallbackToken: config.slack.botToken } : {}),
    apiUrl: config.slack.apiUrl,
    timeoutMs: config.slack.timeoutMs,
    logger,
  });
  const registry = new HandlerRegistry();
  registerSlackHandlers(registry, {
    clients,
    ...(installations ? { installations } : {}),
    ledger,
    responseClient: new ResponseUrlClient({
      apiUrl: config.slack.apiUrl,
      timeoutMs: config.slack.timeoutMs,
    }),
    ...deps.slack,
  });
  registry.register(
    'ingestion',
    'ingest',
    ingestHandler({
      locks: new DocumentLocks({
        connection: connections.admin,
        prefix,
        ttlMs: config.ingest.lockTtlMs,
        logger,
      }),
      state: new IngestStateStore({ connection: connections.admin, prefix }),
      sink,
      fetcher: new DocumentFetcher({
        timeoutMs: config.ingest.fetchTimeoutMs,
        maxBytes: config.ingest.maxBytes,
        allowPrivateUrls: config.ingest.allowPrivateUrls,
      }),
      pipeline,
    }),
  );
  deps.configureHandlers?.(registry);
  return registry;
}

/**
 * Builds a worker process's runtime from its configuration and connections: the handler
 * registry (built-ins plus the team's), metrics, and the launcher. Used by `main.ts` and, in
 * process, by tests.
 */
export function createWorkerApp(deps: WorkerAppDependencies): WorkerApp {
  const { config, logger } = deps;
  const sink = deps.sink ?? new JsonlFileSink(config.ingest.outputDir);
  const pipeline = new TextPipelinePool({
    threads: config.ingest.threads,
    maxHeapMb: config.ingest.threadMaxHeapMb,
  });
  const registry = buildRegistry(deps, sink, pipeline);
  const missing = config.queues.filter((queue) => !registry.serves(queue));
  if (missing.length > 0) {
    throw new Error(`No handlers are registered for queue(s) ${missing.join(', ')}`);
  }
  const metricsRegistry = deps.metricsRegistry ?? createMetricsRegistry('worker');
  const launcher = new Launcher({
    config,
    prefix: deps.prefix,
    connections: deps.connections,
    registry,
    logger,
    metrics: createJobMetrics(metricsRegistry),
    metricsRegistry,
    name: `${hostname()}:${process.pid}`,
  });

  return {
    registry,
    metricsRegistry,
    async start() {
      await sink.prepare();
      await launcher.start();
    },
    async stop(timeoutMs = config.shutdownTimeoutMs) {
      try {
        return await launcher.stop(timeoutMs);
      } finally {
        await pipeline.close();
      }
    },
    readiness: () => launcher.readiness(),
    get httpPort() {
      return launcher.httpPort;
    },
    worker: (queue) => launcher.worker(queue),
    abortJob: (queue, id, reason) => launcher.abortJob(queue, id, reason),
  };
}

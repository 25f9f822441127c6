import type { QueueName } from '@conveyor/queues';
import type { TokenEncryptionKey } from '@conveyor/slack';

/** BullMQ's rate limiter for one queue: at most `max` jobs start per `duration` milliseconds. */
export interface QueueLimiter {
  max: number;
  duration: number;
}

/** The worker's own settings, parsed once from the environment by `env.ts`. */
export interface WorkerConfig {
  /** Queues this process consumes. @defaultValue every catalog queue */
  queues: QueueName[];
  /** Jobs run at once per queue in this process. @defaultValue 10 each */
  concurrency: Record<QueueName, number>;
  /** Optional BullMQ limiter per queue. @defaultValue none */
  limiters: Partial<Record<QueueName, QueueLimiter>>;
  /**
   * `TENANT_CONCURRENCY_<QUEUE>`: at most this many jobs of one tenant run at once, across every
   * worker process. @defaultValue none: no cap per tenant
   */
  tenantConcurrency: Partial<Record<QueueName, number>>;
  /**
   * `TENANT_LIMITER_<QUEUE>=<max>/<ms>`: at most `max` jobs of one tenant start per `duration`
   * ms, across every worker process. @defaultValue none
   */
  tenantLimiters: Partial<Record<QueueName, QueueLimiter>>;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it). A process killed
   * outright holds its jobs this long at most before they can be taken over.
   * @defaultValue 30000
   */
  lockDurationMs: number;
  /** How often a worker looks for jobs whose lock expired. @defaultValue 15000 */
  stalledIntervalMs: number;
  /** Stalls a job survives before it fails (and goes to dead letters). @defaultValue 2 */
  maxStalledCount: number;
  /**
   * How often this process sweeps its queues' failed jobs for any that never reached dead
   * letters (their worker died between the failure and the copy); also once at start.
   * @defaultValue 30000
   */
  deadLetterSweepIntervalMs: number;
  /**
   * Health and metrics HTTP server (`WORKER_HTTP_HOST`, `WORKER_HTTP_PORT`); port 0 turns it off.
   * Loopback by default: set the host to 0.0.0.0 for probes or scrapes from outside the host.
   * @defaultValue 127.0.0.1:9464
   */
  http: { host: string; port: number };
  /** How long a shutdown waits for running jobs. @defaultValue 25000 */
  shutdownTimeoutMs: number;
  /** pino level. @defaultValue 'info' */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  slack: {
    /**
     * Bot token for the Web API (`SLACK_BOT_TOKEN`): the single-workspace shortcut, used for a
     * job whose workspace has no installation. Without it and without an installation, Slack
     * reply handlers fail unrecoverably.
     */
    botToken?: string;
    /**
     * Keys that open the installations the API's install flow stored
     * (`SLACK_TOKEN_ENCRYPTION_KEY`, the API's), current first. Unset: installations are not
     * read and every reply uses `botToken`.
     * @defaultValue undefined
     */
    tokenKeys?: TokenEncryptionKey[];
    /** Web API base URL. @defaultValue 'https://slack.com/api/' */
    apiUrl: string;
    /** Upper bound of one Slack HTTP call. @defaultValue 10000 */
    timeoutMs: number;
  };
  ingest: {
    /** Absolute folder of the JSON Lines files. @defaultValue `<cwd>/data/ingest` */
    outputDir: string;
    /** Fetch from private, loopback and link-local addresses too. @defaultValue false */
    allowPrivateUrls: boolean;
    /** Upper bound of one document fetch, redirects and body included. @defaultValue 15000 */
    fetchTimeoutMs: number;
    /** Largest document fetched, in bytes. @defaultValue 10485760 (10 MiB) */
    maxBytes: number;
    /** Life of the per-document lock; renewed every third of it while working. @defaultValue 30000 */
    lockTtlMs: number;
    /**
     * Worker threads that extract, normalise and chunk documents, off the event loop.
     * @defaultValue 2
     */
    threads: number;
    /**
     * Heap limit of each of those threads, in MB (`INGEST_THREAD_MAX_HEAP_MB`); a document that
     * needs more fails for good (`INGEST_OUT_OF_MEMORY`) and its thread is replaced.
     * @defaultValue 64 MB per MiB of `INGEST_MAX_BYTES`, at least 128 (640 for 10 MiB)
     */
    threadMaxHeapMb: number;
  };
}

import { resolve } from 'node:path';
import { QUEUE_NAMES, type QueueName } from '@conveyor/queues';
import { envFields, parseEnvironment, redisEnvSchema } from '@conveyor/redis';
import { tokenEncryptionKeysField } from '@conveyor/slack';
import { LOG_LEVELS } from '@conveyor/telemetry';
import { z } from 'zod';
import { threadHeapMbFor } from './ingestion/text-pipeline-pool.js';
import type { QueueLimiter, WorkerConfig } from './worker-config.js';

const { optionalString, integer, boolean, oneOf } = envFields;

const CONCURRENCY_PREFIX = 'WORKER_CONCURRENCY_';
const LIMITER_PREFIX = 'WORKER_LIMITER_';
const TENANT_CONCURRENCY_PREFIX = 'TENANT_CONCURRENCY_';
const TENANT_LIMITER_PREFIX = 'TENANT_LIMITER_';
/** Per-queue variable prefixes and what each sets. */
const PER_QUEUE_PREFIXES = [
  [CONCURRENCY_PREFIX, 'concurrency'],
  [LIMITER_PREFIX, 'limiter'],
  [TENANT_CONCURRENCY_PREFIX, 'concurrency'],
  [TENANT_LIMITER_PREFIX, 'limiter'],
] as const;

/** `slack-events` -> `SLACK_EVENTS`: the suffix of a queue's per-queue variables. */
export function queueEnvSuffix(queue: string): string {
  return queue.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** An optional string variable checked by `check` (which returns a problem or undefined). */
const checked = (check: (value: string) => string | undefined) =>
  optionalString().superRefine((value, ctx) => {
    const problem = value === undefined ? undefined : check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function parseQueueList(value: string): string[] {
  return [
    ...new Set(
      value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
}

function parseLimiter(value: string): QueueLimiter | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const max = Number(match?.[1]);
  const duration = Number(match?.[2]);
  return match && max >= 1 && duration >= 1 ? { max, duration } : undefined;
}

const queueList = checked((value) => {
  const unknown = parseQueueList(value).filter((name) => !(QUEUE_NAMES as string[]).includes(name));
  if (unknown.length === 0) return undefined;
  return `unknown queue${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')}; known queues: ${QUEUE_NAMES.join(', ')}`;
});

const httpUrl = checked((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be http(s)';
  } catch {
    return 'is not a valid URL';
  }
});

/** Per-queue variable name -> [queue, kind], for every catalog queue. */
const PER_QUEUE_VARIABLES = new Map<string, [QueueName, 'concurrency' | 'limiter']>(
  QUEUE_NAMES.flatMap((queue) =>
    PER_QUEUE_PREFIXES.map(
      ([prefix, kind]) => [`${prefix}${queueEnvSuffix(queue)}`, [queue, kind]] as const,
    ),
  ),
);

/** The per-queue prefix `variable` starts with, if any. */
const perQueuePrefixOf = (variable: string) =>
  PER_QUEUE_PREFIXES.find(([prefix]) => variable.startsWith(prefix))?.[0];

function parseConcurrency(value: string): number | undefined {
  const parsed = Number(value.trim());
  return Number.isInteger(parsed) && parsed >= 1 && parsed <= 1000 ? parsed : undefined;
}

/** Problem with one per-queue variable, or undefined when it is fine. */
function perQueueProblem(variable: string, value: string): string | undefined {
  const known = PER_QUEUE_VARIABLES.get(variable);
  if (!known) {
    const prefix = perQueuePrefixOf(variable) ?? CONCURRENCY_PREFIX;
    return `names no queue; use one of ${QUEUE_NAMES.map((q) => prefix + queueEnvSuffix(q)).join(', ')}`;
  }
  if (known[1] === 'concurrency') {
    return parseConcurrency(value) === undefined
      ? 'must be a whole number from 1 to 1000'
      : undefined;
  }
  return parseLimiter(value)
    ? undefined
    : `expected <max jobs>/<milliseconds>, both at least 1, e.g. 50/1000; got ${JSON.stringify(value)}`;
}

/**
 * The worker's environment variables. Per-queue settings are `WORKER_CONCURRENCY_<QUEUE>` and
 * `WORKER_LIMITER_<QUEUE>`, the queue name upper-cased with `-` as `_`
 * (`WORKER_CONCURRENCY_INGESTION=2`, `WORKER_LIMITER_SLACK_EVENTS=50/1000`), and per tenant of a
 * queue `TENANT_CONCURRENCY_<QUEUE>` and `TENANT_LIMITER_<QUEUE>` (fleet-wide). A suffix that
 * names no catalog queue is an error, so a typo cannot silently do nothing.
 */
export const workerEnvSchema = z
  .looseObject({
    WORKER_QUEUES: queueList,
    WORKER_CONCURRENCY: integer({ default: 10, min: 1, max: 1000 }),
    WORKER_LOCK_DURATION_MS: integer({ default: 30_000, min: 1000, max: 600_000 }),
    WORKER_STALLED_INTERVAL_MS: integer({ default: 15_000, min: 500, max: 600_000 }),
    WORKER_MAX_STALLED_COUNT: integer({ default: 2, min: 0, max: 100 }),
    WORKER_DEAD_LETTER_SWEEP_INTERVAL_MS: integer({ default: 30_000, min: 100, max: 3_600_000 }),
    WORKER_HTTP_HOST: optionalString(),
    WORKER_HTTP_PORT: integer({ default: 9464, min: 0, max: 65535 }),
    SHUTDOWN_TIMEOUT_MS: integer({ default: 25_000, min: 0, max: 3_600_000 }),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    SLACK_BOT_TOKEN: optionalString(),
    SLACK_API_URL: httpUrl,
    SLACK_TIMEOUT_MS: integer({ default: 10_000, min: 100, max: 120_000 }),
    SLACK_TOKEN_ENCRYPTION_KEY: tokenEncryptionKeysField(),
    INGEST_OUTPUT_DIR: optionalString(),
    INGEST_ALLOW_PRIVATE_URLS: boolean(false),
    INGEST_FETCH_TIMEOUT_MS: integer({ default: 15_000, min: 100, max: 600_000 }),
    INGEST_MAX_BYTES: integer({ default: 10 * 1024 * 1024, min: 1, max: 1024 * 1024 * 1024 }),
    INGEST_LOCK_TTL_MS: integer({ default: 30_000, min: 300, max: 3_600_000 }),
    INGEST_THREADS: integer({ default: 2, min: 1, max: 64 }),
    INGEST_THREAD_MAX_HEAP_MB: integer({ default: 0, min: 0, max: 16_384 }).refine(
      (value) => value === 0 || value >= 16,
      { error: 'must be at least 16 (MB), or unset to derive it from INGEST_MAX_BYTES' },
    ),
  })
  .superRefine(
    (env, ctx) => {
      for (const [variable, value] of Object.entries(env as Record<string, unknown>)) {
        if (typeof value !== 'string' || value === '') continue;
        if (perQueuePrefixOf(variable) === undefined) continue;
        const problem = perQueueProblem(variable, value);
        if (problem) ctx.addIssue({ code: 'custom', path: [variable], message: problem });
      }
    },
    // Also when a field already failed: every bad variable is reported in one go.
    { when: () => true },
  )
  .transform((env): WorkerConfig => {
    const raw = env as Record<string, unknown>;
    const concurrency = {} as Record<QueueName, number>;
    const limiters: Partial<Record<QueueName, QueueLimiter>> = {};
    const tenantConcurrency: Partial<Record<QueueName, number>> = {};
    const tenantLimiters: Partial<Record<QueueName, QueueLimiter>> = {};
    for (const queue of QUEUE_NAMES) {
      const suffix = queueEnvSuffix(queue);
      const tenantCap = raw[TENANT_CONCURRENCY_PREFIX + suffix];
      const cap = typeof tenantCap === 'string' ? parseConcurrency(tenantCap) : undefined;
      if (cap !== undefined) tenantConcurrency[queue] = cap;
      const tenantLimit = raw[TENANT_LIMITER_PREFIX + suffix];
      const rate = typeof tenantLimit === 'string' ? parseLimiter(tenantLimit) : undefined;
      if (rate) tenantLimiters[queue] = rate;
      const override = raw[CONCURRENCY_PREFIX + suffix];
      concurrency[queue] =
        (typeof override === 'string' ? parseConcurrency(override) : undefined) ??
        env.WORKER_CONCURRENCY;
      const limit = raw[LIMITER_PREFIX + suffix];
      const parsed = typeof limit === 'string' && limit !== '' ? parseLimiter(limit) : undefined;
      if (parsed) limiters[queue] = parsed;
    }
    const listed = env.WORKER_QUEUES ? parseQueueList(env.WORKER_QUEUES) : [];
    return {
      queues: listed.length > 0 ? (listed as QueueName[]) : [...QUEUE_NAMES],
      concurrency,
      limiters,
      tenantConcurrency,
      tenantLimiters,
      lockDurationMs: env.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: env.WORKER_MAX_STALLED_COUNT,
      deadLetterSweepIntervalMs: env.WORKER_DEAD_LETTER_SWEEP_INTERVAL_MS,
      // Loopback unless told otherwise: the compose health checks run inside the container; a
      // Prometheus or Kubernetes probe from outside needs WORKER_HTTP_HOST=0.0.0.0.
      http: { host: env.WORKER_HTTP_HOST ?? '127.0.0.1', port: env.WORKER_HTTP_PORT },
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      logLevel: env.LOG_LEVEL,
      slack: {
        ...(env.SLACK_BOT_TOKEN ? { botToken: env.SLACK_BOT_TOKEN } : {}),
        ...(env.SLACK_TOKEN_ENCRYPTION_KEY ? { tokenKeys: env.SLACK_TOKEN_ENCRYPTION_KEY } : {}),
        apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
        timeoutMs: env.SLACK_TIMEOUT_MS,
      },
      ingest: {
        outputDir: resolve(env.INGEST_OUTPUT_DIR ?? 'data/ingest'),
        allowPrivateUrls: env.INGEST_ALLOW_PRIVATE_URLS,
        fetchTimeoutMs: env.INGEST_FETCH_TIMEOUT_MS,
        maxBytes: env.INGEST_MAX_BYTES,
        lockTtlMs: env.INGEST_LOCK_TTL_MS,
        threads: env.INGEST_THREADS,
        threadMaxHeapMb: env.INGEST_THREAD_MAX_HEAP_MB || threadHeapMbFor(env.INGEST_MAX_BYTES),
      },
    };
  });

/** Everything the worker process is configured with. */
export type WorkerEnvironment = ReturnType<typeof loadEnvironment>;

/**
 * Parses the environment once: the shared Redis variables and the worker's own. Throws one
 * `ConfigError` naming every bad variable. `main.ts` passes `process.env`; nothing else reads it.
 */
export function loadEnvironment(env: Record<string, string | undefined>) {
  return parseEnvironment({ redis: redisEnvSchema, worker: workerEnvSchema }, env);
}

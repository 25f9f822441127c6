import {
  DeadLetterQueue,
  DeadLetterSweep,
  FinishedJobMetrics,
  type QueueName,
  ScheduleTicks,
  TenantGate,
} from '@conveyor/queues';
import { checkRedis, probeProblems } from '@conveyor/redis';
import type { Logger, Registry } from '@conveyor/telemetry';
import { Queue, Worker } from 'bullmq';
import type { HandlerRegistry } from './handlers/handler-registry.js';
import { HealthServer, type Readiness } from './http/health-server.js';
import { CancelListener } from './lifecycle/cancel-listener.js';
import { JobLifecycle } from './lifecycle/job-lifecycle.js';
import { type JobMetrics, JobProcessor } from './processor.js';
import { QueuePause } from './queue-pause.js';
import type { WorkerConfig } from './worker-config.js';
import type { WorkerConnections } from './worker-connections.js';

/** Options for {@link Launcher}. */
export interface LauncherOptions {
  config: WorkerConfig;
  /** BullMQ key prefix. */
  prefix: string;
  connections: WorkerConnections;
  registry: HandlerRegistry;
  logger: Logger;
  metrics: JobMetrics;
  metricsRegistry: Registry;
  /** Stored on each job as `processedBy`, e.g. `host:pid`. */
  name: string;
}

/** The result of {@link Launcher.stop}. */
export interface StopResult {
  /** True when every running job finished within the timeout. */
  drained: boolean;
  /** Jobs still running when the timeout passed, as `queue/id`; they will be taken over. */
  abandoned: string[];
}

/** One consumed queue and what serves it. */
interface QueueRunner {
  queue: QueueName;
  worker: Worker;
  processor: JobProcessor;
  deadLetters: DeadLetterQueue;
  /** Records failed-for-good jobs that never reached dead letters. */
  sweep: DeadLetterSweep;
  /** For the queue-wide rate limit, on the worker connection. */
  control: Queue;
  /** The queue-wide pause of a Slack 429. */
  pause: QueuePause;
  /** Cancellation and expiry of the queue's jobs. */
  lifecycle: JobLifecycle;
}

/**
 * Starts and stops everything that runs in a worker process (Sidekiq's launcher).
 *
 * Responsibilities:
 * - one BullMQ Worker per configured queue, with its concurrency, limiter, lock and stall
 *   settings, all sharing the process's connections;
 * - the health and metrics HTTP server (`WORKER_HTTP_PORT`, 0 = off): this process's own
 *   counters and timings only; Redis-wide queue gauges come from the API alone, so that a
 *   Prometheus scraping every worker does not add up copies of them;
 * - BullMQ's per-minute counts of completed and failed jobs, written once a second;
 * - readiness: Redis reachable and safe, every worker running, not shutting down;
 * - the dead-letter sweep, at start and every `deadLetterSweepIntervalMs`: a job failed for good
 *   whose worker died before copying it to dead letters is copied by the next sweep;
 * - cancellations announced by the API, heard on one subscriber connection for all queues;
 * - graceful stop: take no new jobs, let running ones finish up to a timeout, close.
 */
export class Launcher {
  readonly #options: LauncherOptions;
  readonly #runners: QueueRunner[] = [];
  #server: HealthServer | undefined;
  #cancelListener: CancelListener | undefined;
  #stopping: Promise<StopResult> | undefined;
  /** Completed and failed per minute, bounded to a day: the console's charts, Bull Board's. */
  readonly #finished: FinishedJobMetrics;
  #lastReadinessLogged: string | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** The sweep under way, if any. */
  #sweeping: Promise<void> | undefined;

  constructor(options: LauncherOptions) {
    this.#options = options;
    this.#finished = new FinishedJobMetrics({
      connection: options.connections.worker,
      onError: (error) =>
        options.logger.warn({ err: error }, 'job metrics not written; retrying every second'),
    });
  }

  /** The health server's port while it listens. */
  get httpPort(): number | undefined {
    return this.#server?.address()?.port;
  }

  /** The BullMQ Worker of a consumed queue (tests and diagnostics). */
  worker(queue: QueueName): Worker | undefined {
    return this.#runners.find((runner) => runner.queue === queue)?.worker;
  }

  /**
   * Aborts the signal of job `id` of `queue` running here, as a cancellation does. False when it
   * does not run here or its handler is not `cancellable`.
   */
  abortJob(queue: QueueName, id: string, reason?: unknown): boolean {
    const runner = this.#runners.find((candidate) => candidate.queue === queue);
    return runner?.processor.abort(id, reason) ?? false;
  }

  async start(): Promise<void> {
    const { config, logger } = this.#options;
    for (const queue of config.queues) this.#runners.push(this.#createRunner(queue));
    this.#listenForCancels();
    if (config.http.port > 0) {
      this.#server = new HealthServer({
        host: config.http.host,
        port: config.http.port,
        readiness: () => this.readiness(),
        metrics: async () => ({
          contentType: this.#options.metricsRegistry.contentType,
          body: await this.#options.metricsRegistry.metrics(),
        }),
        logger,
      });
      const address = await this.#server.listen();
      logger.info({ host: address.address, port: address.port }, 'health server listening');
    }
    for (const runner of this.#runners) {
      // A process that died mid-pause may have left the pause's limit behind.
      runner.pause.release().catch((error: unknown) => {
        logger.warn({ err: error, queue: runner.queue }, 'could not check for a leftover pause');
      });
      runner.worker.run().catch((error: unknown) => {
        logger.error({ err: error, queue: runner.queue }, 'worker stopped with an error');
      });
    }
    this.#sweepDeadLetters();
    this.#sweepTimer = setInterval(
      () => this.#sweepDeadLetters(),
      config.deadLetterSweepIntervalMs,
    );
    this.#sweepTimer.unref();
    logger.info(
      {
        queues: Object.fromEntries(
          this.#runners.map((runner) => [
            runner.queue,
            {
              concurrency: runner.worker.concurrency,
              jobs: this.#options.registry.jobNames(runner.queue),
            },
          ]),
        ),
        lockDurationMs: config.lockDurationMs,
        stalledIntervalMs: config.stalledIntervalMs,
        deadLetterSweepIntervalMs: config.deadLetterSweepIntervalMs,
      },
      'workers running',
    );
  }

  /**
   * `/readyz`: never throws, bounded by the Redis check's own timeout. The probe gets short
   * reasons; the full report (Redis's address and version, which worker stopped) is logged once
   * each time readiness changes.
   */
  async readiness(): Promise<Readiness> {
    if (this.#stopping)
      return { status: 'shutting-down', problems: ['the worker is shutting down'] };
    const redis = await checkRedis(this.#options.connections.admin);
    const stopped = this.#runners.filter((runner) => !runner.worker.isRunning());
    const problems = [
      ...probeProblems(redis),
      ...stopped.map((runner) => `the ${runner.queue} worker is not running`),
    ];
    const logged = [...redis.problems, ...problems].join('\n');
    if (logged !== this.#lastReadinessLogged) {
      this.#lastReadinessLogged = logged;
      if (problems.length === 0) this.#options.logger.info('ready');
      else
        this.#options.logger.warn({ problems: redis.problems }, 'not ready: /readyz answers 503');
    }
    return { status: problems.length === 0 ? 'ready' : 'not-ready', problems };
  }

  /**
   * Stops taking jobs and waits up to `timeoutMs` for running ones. Jobs still running after
   * that keep their Redis lock until it expires, then another worker takes them over: cut short
   * and run again rather than lost. Idempotent.
   */
  stop(timeoutMs: number): Promise<StopResult> {
    this.#stopping ??= this.#stop(timeoutMs);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<StopResult> {
    const { logger } = this.#options;
    clearInterval(this.#sweepTimer);
    await this.#cancelListener?.stop();
    const running = this.#runners.flatMap((runner) =>
      runner.processor.inFlight().map((id) => `${runner.queue}/${id}`),
    );
    logger.info({ running, timeoutMs }, 'stopping: no new jobs; waiting for running ones');
    const closing = Promise.all(this.#runners.map((runner) => runner.worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const abandoned = drained
      ? []
      : this.#runners.flatMap((runner) =>
          runner.processor.inFlight().map((id) => `${runner.queue}/${id}`),
        );
    if (!drained) {
      logger.warn(
        { abandoned, timeoutMs },
        'shutdown timeout: jobs still running are left to be taken over after their lock expires',
      );
    }
    // Queues on shared connections close without waiting on Redis; bounded anyway.
    await Promise.race([
      Promise.allSettled([
        this.#sweeping,
        this.#finished.close(),
        ...this.#runners.flatMap((runner) => {
          runner.pause.close();
          return [runner.deadLetters.close(), runner.control.close()];
        }),
      ]),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.#server?.close();
    return { drained, abandoned };
  }

  #createRunner(queue: QueueName): QueueRunner {
    const { config, prefix, connections, registry, logger, metrics } = this.#options;
    const deadLetters = new DeadLetterQueue(queue, { connection: connections.worker, prefix });
    const control = new Queue(queue, { connection: connections.worker, prefix });
    const sweep = new DeadLetterSweep({
      origin: control,
      deadLetters,
      connection: connections.worker,
      // About one sweep per period across all worker processes.
      lockMs: Math.max(Math.floor(config.deadLetterSweepIntervalMs / 2), 50),
    });
    const pause = new QueuePause({ queue: control, connection: connections.worker, logger });
    const lifecycle = new JobLifecycle({
      queue: control,
      connection: connections.worker,
      abort: (id) => processor.abort(id, 'cancelled'),
    });
    const tenantCap = config.tenantConcurrency[queue];
    const tenantLimiter = config.tenantLimiters[queue];
    const gate = new TenantGate({
      connection: connections.worker,
      queue: control,
      ...(tenantCap ? { concurrency: tenantCap } : {}),
      ...(tenantLimiter ? { limiter: tenantLimiter } : {}),
      // A parked job whose promoter died comes back after a few lock periods.
      parkMs: Math.max(config.lockDurationMs * 2, 5000),
    });
    const processor = new JobProcessor({
      queue,
      registry,
      logger,
      metrics,
      deadLetters,
      rateLimit: (ms) => pause.pause(ms),
      lifecycle,
      gate,
      ticks: new ScheduleTicks({
        connection: connections.worker,
        queue: control,
        name: queue,
        onError: (err, job) =>
          logger.warn(
            { err, jobId: job.id },
            'could not place a schedule tick in fair order; running it now',
          ),
      }),
    });
    const worker = new Worker(queue, processor.process, {
      connection: connections.worker,
      prefix,
      name: this.#options.name,
      autorun: false,
      concurrency: config.concurrency[queue],
      // None unless configured: a Slack 429's pause sets a queue-wide limit while it runs.
      ...(config.limiters[queue] ? { limiter: config.limiters[queue] } : {}),
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      // No \`metrics\`: FinishedJobMetrics writes BullMQ's per-minute counts once a second.
    });
    // Without listeners an 'error' event would throw and end the process.
    const onError = (error: Error) => logger.error({ err: error, queue }, 'queue error');
    worker.on('error', onError);
    deadLetters.queue.on('error', onError);
    control.on('error', onError);
    worker.on('stalled', (jobId) => {
      logger.warn({ queue, jobId }, 'job stalled (its worker died or froze); back in the queue');
    });
    worker.on('completed', () => this.#finished.record(control, 'completed'));
    worker.on('failed', (job, error) => {
      // Failed for good (not retried): BullMQ set when it finished.
      if (job?.finishedOn) this.#finished.record(control, 'failed');
      processor.onFailed(job, error).catch((failure: unknown) => {
        logger.error({ err: failure, queue, jobId: job?.id }, 'could not handle a failed job');
      });
    });
    return { queue, worker, processor, deadLetters, sweep, control, pause, lifecycle };
  }

  /** Subscribes to the cancel channels of every consumed queue; never throws. */
  #listenForCancels(): void {
    const { connections, logger } = this.#options;
    const listener = new CancelListener({
      connection: connections.worker,
      queues: this.#runners.map(({ control, lifecycle }) => ({ queue: control, lifecycle })),
      logger,
    });
    this.#cancelListener = listener;
    // Not awaited: like the workers, it waits for Redis through an outage.
    listener.start().catch((error: unknown) => {
      logger.error({ err: error }, 'could not subscribe to cancellations');
    });
  }

  /** Sweeps every consumed queue, unless the previous sweep is still running. Never throws. */
  #sweepDeadLetters(): void {
    if (this.#sweeping || this.#stopping) return;
    const { logger, metrics } = this.#options;
    this.#sweeping = Promise.all(
      this.#runners.map(async ({ queue, sweep }) => {
        try {
          await sweep.sweep((job, { id }) => {
            metrics.deadLetters.inc({ queue });
            logger.warn(
              { queue, jobId: job.id, deadLetterId: id },
              'job failed for good without a dead letter (its worker stopped first); recorded by the sweep',
            );
          });
        } catch (error) {
          logger.error({ err: error, queue }, 'dead-letter sweep failed; the next one retries');
        }
      }),
    ).then(() => {
      this.#sweeping = undefined;
    });
  }
}

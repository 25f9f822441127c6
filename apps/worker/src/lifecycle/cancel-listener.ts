import { cancelChannel, recentCancelsKey } from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';
import type { Logger } from '@conveyor/telemetry';
import type { Queue } from 'bullmq';
import type { JobLifecycle } from './job-lifecycle.js';

/** Options for {@link CancelListener}. */
export interface CancelListenerOptions {
  /** Duplicated once into the process's one subscriber connection. */
  connection: RedisConnection;
  /** The consumed queues and the lifecycle of each. */
  queues: { queue: Queue; lifecycle: JobLifecycle }[];
  logger: Logger;
  /**
   * How far back the recent cancellations are read when the subscriber (re)connects, for those
   * announced while it was down.
   * @defaultValue 300000 (5 minutes)
   */
  catchUpMs?: number;
}

/**
 * Hears the cancellations the API announces, for every queue this process consumes, and hands
 * them to each queue's {@link JobLifecycle}.
 *
 * Pub/sub rather than polling: an announcement reaches every worker process within a round
 * trip, at no cost per job, for one subscriber connection per process whatever its queues and
 * concurrency. A message published while the subscriber is disconnected is lost by pub/sub, so
 * each (re)subscription first reads the queue's recent cancellations (a sorted set the API keeps
 * to its last 1,000 entries).
 */
export class CancelListener {
  readonly #options: CancelListenerOptions;
  readonly #byChannel: Map<string, { queue: Queue; lifecycle: JobLifecycle }>;
  readonly #catchUpMs: number;
  #subscriber: RedisConnection | undefined;

  constructor(options: CancelListenerOptions) {
    this.#options = options;
    this.#catchUpMs = options.catchUpMs ?? 5 * 60_000;
    this.#byChannel = new Map(options.queues.map((entry) => [cancelChannel(entry.queue), entry]));
  }

  /** Subscribes; resolves once subscribed (ioredis re-subscribes by itself after a reconnect). */
  async start(): Promise<void> {
    const subscriber = this.#options.connection.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('error', (error: Error) => {
      this.#options.logger.warn({ err: error }, 'cancel subscriber error; it reconnects');
    });
    subscriber.on('message', (channel: string, id: string) => {
      this.#byChannel.get(channel)?.lifecycle.cancel(id);
    });
    subscriber.on('ready', () => {
      this.#catchUp().catch((error: unknown) => {
        this.#options.logger.warn({ err: error }, 'could not read recent cancellations');
      });
    });
    await subscriber.subscribe(...this.#byChannel.keys());
  }

  async stop(): Promise<void> {
    this.#subscriber?.disconnect();
  }

  async #catchUp(): Promise<void> {
    const { connection } = this.#options;
    const since = Date.now() - this.#catchUpMs;
    for (const { queue, lifecycle } of this.#byChannel.values()) {
      const ids = await connection.zrangebyscore(recentCancelsKey(queue), since, '+inf');
      for (const id of ids) lifecycle.cancel(id);
    }
  }
}

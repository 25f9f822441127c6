import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  COMPARE_AND_DELETE_SCRIPT,
  HOLD_LEASE_SCRIPT,
  metricsExporterLeaseKey,
} from '@conveyor/queues';
import type { RedisConnection } from '@conveyor/redis';

/** Options for {@link MetricsExporterLease}. */
export interface MetricsExporterLeaseOptions {
  /** A fail-fast connection (the API's `admin` one). */
  connection: RedisConnection;
  /** The queues' prefix (`QUEUE_PREFIX`): the lease is `<prefix>:metrics:exporter`. */
  prefix: string;
  /**
   * How long the lease lasts once taken or renewed (`METRICS_EXPORTER_LEASE_MS`): longer than
   * the scrape interval, or holders would change between scrapes.
   */
  ttlMs: number;
  /**
   * Who holds it, as stored in the key (an operator may read it).
   * @defaultValue `<hostname>:<pid>:<random>`, unique per lease object
   */
  holderId?: string;
}

/**
 * Elects the one API process of the fleet that exports the Redis-wide gauges, so that
 * Prometheus's `sum` over every API replica counts them once. Each process asks at scrape time:
 * the holder renews the lease, another takes it only once it has expired (its holder stopped
 * being scraped: dead, or scaled away) or was released on shutdown. Answers false when Redis
 * cannot say: the gauges could not be read then anyway.
 */
export class MetricsExporterLease {
  readonly holderId: string;
  readonly #options: MetricsExporterLeaseOptions;
  readonly #key: string;

  constructor(options: MetricsExporterLeaseOptions) {
    this.#options = options;
    this.#key = metricsExporterLeaseKey(options.prefix);
    this.holderId = options.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** True when this process holds the lease now, having taken or renewed it. */
  async hold(): Promise<boolean> {
    try {
      const held = await this.#options.connection.eval(
        HOLD_LEASE_SCRIPT,
        1,
        this.#key,
        this.holderId,
        this.#options.ttlMs,
      );
      return held === 1;
    } catch {
      return false;
    }
  }

  /** Gives the lease up if this process holds it, so another API exports from its next scrape. */
  async release(): Promise<void> {
    await this.#options.connection.eval(COMPARE_AND_DELETE_SCRIPT, 1, this.#key, this.holderId);
  }
}

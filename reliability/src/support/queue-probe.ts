import { Queue } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import { queuePrefix, type RedisTopology } from './redis-topology.js';

/** Job counts by state, as BullMQ reports them. */
export type JobCounts = Record<string, number>;

/** States in which a job is still to be done. */
const PENDING_STATES = ['wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'];

/** Opens the suite's own connection to `topology`, for assertions (never the apps' code). */
export function connect(topology: RedisTopology): Redis | Cluster {
  switch (topology.mode) {
    case 'standalone':
      return new Redis({
        host: topology.host,
        port: topology.port,
        username: topology.username,
        password: topology.password,
        maxRetriesPerRequest: null,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        redisOptions: { password: topology.password, maxRetriesPerRequest: null },
      });
    case 'sentinel':
      return new Redis({
        sentinels: topology.sentinels,
        name: topology.masterName,
        password: topology.password,
        maxRetriesPerRequest: null,
      });
  }
}

/**
 * What the suite reads in Redis to judge a scenario: job counts, whether acknowledged jobs
 * exist, dead letters; plus pausing a queue, as an operator would from the dashboard.
 */
export class QueueProbe {
  readonly prefix: string;
  readonly connection: Redis | Cluster;
  readonly #queues = new Map<string, Queue>();

  constructor(topology: RedisTopology) {
    this.prefix = queuePrefix(topology);
    this.connection = connect(topology);
    this.connection.on('error', () => {});
  }

  queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async counts(name: string): Promise<JobCounts> {
    return this.queue(name).getJobCounts();
  }

  /** Jobs waiting, active, delayed or otherwise not yet done. */
  async pending(name: string): Promise<number> {
    const counts = await this.counts(name);
    return PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  }

  /** Jobs in a queue's dead-letter queue, in any state. */
  async deadLetters(name: string): Promise<number> {
    const counts = await this.counts(`${name}-dead-letters`);
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** How many of `ids` still have their job hash in Redis. */
  async existing(name: string, ids: readonly string[]): Promise<number> {
    let found = 0;
    for (let start = 0; start < ids.length; start += 500) {
      const batch = ids.slice(start, start + 500);
      const pipeline = this.connection.pipeline();
      for (const id of batch) pipeline.exists(`${this.prefix}:${name}:${id}`);
      const results = (await pipeline.exec()) ?? [];
      for (const [error, exists] of results) {
        if (error) throw error;
        found += Number(exists);
      }
    }
    return found;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.connection.disconnect();
  }
}

import { Cluster, type ClusterNode, type ClusterOptions, type Command } from 'ioredis';
import { armCommandDeadline } from './arm-command-deadline.js';

type SendCommandRest =
  Parameters<Cluster['sendCommand']> extends [Command, ...infer Rest] ? Rest : never;

function withoutCommandTimeout(options: ClusterOptions): ClusterOptions {
  if (options.redisOptions?.commandTimeout === undefined) return options;
  const { commandTimeout: _, ...redisOptions } = options.redisOptions;
  return { ...options, redisOptions };
}

/**
 * An ioredis `Cluster` whose `redisOptions.commandTimeout` is a deferred deadline (see
 * {@link DeadlineRedis}), armed when the cluster first sends the command rather than by the node
 * connection it reaches (ioredis creates those itself). `duplicate()` keeps it.
 */
export class DeadlineCluster extends Cluster {
  /** The deadline of each command in ms, or undefined for none. */
  readonly commandTimeoutMs: number | undefined;
  readonly #nodes: ClusterNode[];

  constructor(nodes: ClusterNode[], options: ClusterOptions) {
    // Not passed on: the node connections would arm ioredis' own, non-deferred timer.
    super(nodes, withoutCommandTimeout(options));
    this.commandTimeoutMs = options.redisOptions?.commandTimeout;
    this.#nodes = nodes;
  }

  override sendCommand(command: Command, ...rest: SendCommandRest): unknown {
    if (this.commandTimeoutMs !== undefined) armCommandDeadline(command, this.commandTimeoutMs);
    return super.sendCommand(command, ...rest);
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions = {}): Cluster {
    const options: ClusterOptions = { ...this.options, ...overrideOptions };
    const startupNodes =
      overrideStartupNodes.length > 0 ? overrideStartupNodes : this.#nodes.slice(0);
    return new DeadlineCluster(startupNodes, {
      ...options,
      redisOptions: {
        ...(this.commandTimeoutMs === undefined ? {} : { commandTimeout: this.commandTimeoutMs }),
        ...options.redisOptions,
      },
    });
  }
}

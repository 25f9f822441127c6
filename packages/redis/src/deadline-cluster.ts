import { Cluster, type ClusterNode, type ClusterOptions, type Command, type Redis } from 'ioredis';
import { armCommandDeadline } from './arm-command-deadline.js';
import { queuedAllowanceMs } from './queued-allowance.js';

type SendCommandRest =
  Parameters<Cluster['sendCommand']> extends [Command, ...infer Rest] ? Rest : never;

function withoutCommandTimeout(options: ClusterOptions): ClusterOptions {
  if (options.redisOptions?.commandTimeout === undefined) return options;
  const { commandTimeout: _, ...redisOptions } = options.redisOptions;
  return { ...options, redisOptions };
}

/** Arms the deadline on every command `node` sends, including those sent to it directly. */
function armEveryCommand(node: Redis, ms: number): void {
  const send = node.sendCommand.bind(node);
  node.sendCommand = (command, stream) => {
    armCommandDeadline(command, ms);
    return send(command, stream);
  };
}

/**
 * An ioredis `Cluster` whose `redisOptions.commandTimeout` is a deferred deadline (see
 * {@link DeadlineRedis}), armed when the cluster first sends the command, and on every node
 * connection ioredis creates (`+node`), so commands sent to a node directly (`nodes('master')`,
 * as health checks do) have it too. `duplicate()` keeps it unless the override passes its own
 * `redisOptions`, as ioredis' own `duplicate()` would.
 */
export class DeadlineCluster extends Cluster {
  /** The deadline of each command in ms, or undefined for none. */
  readonly commandTimeoutMs: number | undefined;
  readonly #nodes: ClusterNode[];

  constructor(nodes: ClusterNode[], options: ClusterOptions) {
    // Not passed on: the node connections would arm ioredis' own, non-deferred timer.
    super(nodes, withoutCommandTimeout(options));
    const ms = options.redisOptions?.commandTimeout;
    this.commandTimeoutMs = ms;
    this.#nodes = nodes;
    if (ms !== undefined) {
      for (const node of this.nodes('all')) armEveryCommand(node, ms);
      this.on('+node', (node: Redis) => armEveryCommand(node, ms));
    }
  }

  override sendCommand(command: Command, ...rest: SendCommandRest): unknown {
    if (this.commandTimeoutMs !== undefined) {
      armCommandDeadline(command, this.commandTimeoutMs + queuedAllowanceMs(this));
    }
    return super.sendCommand(command, ...rest);
  }

  override duplicate(
    overrideStartupNodes: ClusterNode[] = [],
    overrideOptions: ClusterOptions = {},
  ): Cluster {
    const options: ClusterOptions = { ...this.options, ...overrideOptions };
    const startupNodes =
      overrideStartupNodes.length > 0 ? overrideStartupNodes : this.#nodes.slice(0);
    // ioredis' duplicate() replaces redisOptions wholesale when the override has them.
    if (overrideOptions.redisOptions !== undefined || this.commandTimeoutMs === undefined) {
      return new DeadlineCluster(startupNodes, options);
    }
    return new DeadlineCluster(startupNodes, {
      ...options,
      redisOptions: { ...options.redisOptions, commandTimeout: this.commandTimeoutMs },
    });
  }
}

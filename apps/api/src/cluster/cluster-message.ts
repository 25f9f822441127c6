/** What the API's primary and its HTTP processes say to each other over the cluster IPC channel. */
export type ClusterMessage =
  /** Primary to process: drain and exit (the primary's SIGTERM, relayed). */
  | { type: 'conveyor:stop' }
  /** Process to primary: I am exiting for a reason a restart cannot fix (e.g. bad credentials). */
  | { type: 'conveyor:fatal'; reason: string }
  /** Process to primary: the metrics of every process, please. */
  | { type: 'conveyor:metrics-request'; requestId: number }
  /** Primary to process: the summed metrics, or why there are none. */
  | { type: 'conveyor:metrics-response'; requestId: number; text?: string; error?: string };

/** True for a {@link ClusterMessage} (prom-client's own messages share the channel). */
export function isClusterMessage(message: unknown): message is ClusterMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('conveyor:')
  );
}

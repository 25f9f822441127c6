/**
 * Redis keys of the search index of one queue, all under the queue's own key (`<prefix>:<queue>`,
 * whose prefix carries the hash tag under Cluster), so the index lives in the queue's slot.
 */

/** A queue's key, as BullMQ builds it (`queue.qualifiedName`). */
export function queueKeyOf(prefix: string, queue: string): string {
  return `${prefix}:${queue}`;
}

/** The jobs of `queueKey` with `key` = `value`: a sorted set of job ids scored by enqueue order. */
export function searchValueKey(queueKey: string, key: string, value: string): string {
  return `${queueKey}:search:v:${key}:${value}`;
}

/** Every indexed job of the queue in enqueue order (sorted set), walked by the sweep. */
export function searchLogKey(queueKey: string): string {
  return `${queueKey}:search:log`;
}

/** The keys each indexed job was indexed under (hash: job id -> JSON of its keys). */
export function searchEntriesKey(queueKey: string): string {
  return `${queueKey}:search:keys`;
}

/** Where the sweep goes on in the log (a rank). */
export function searchCursorKey(queueKey: string): string {
  return `${queueKey}:search:cursor`;
}

/** BullMQ's hash of job `id`. */
export function jobKeyOf(queueKey: string, id: string): string {
  return `${queueKey}:${id}`;
}

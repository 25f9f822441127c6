const PREFIX_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Normalises the BullMQ key prefix. Under Redis Cluster every key of a queue must hash to one
 * slot, so the prefix is wrapped in a hash tag (`conveyor` becomes `{conveyor}`); a prefix that
 * already is a hash tag is kept.
 */
export function resolveQueuePrefix(prefix: string, cluster: boolean): string {
  const bare = prefix.startsWith('{') && prefix.endsWith('}') ? prefix.slice(1, -1) : prefix;
  if (!PREFIX_PATTERN.test(bare)) {
    throw new Error(
      `must be letters, digits, '.', '_' or '-' (optionally wrapped in {}), got ${JSON.stringify(prefix)}`,
    );
  }
  return cluster ? `{${bare}}` : prefix;
}

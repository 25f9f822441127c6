/**
 * What a connection is for, which decides how it behaves when Redis is slow or gone:
 * - `producer`: the API's enqueue path. Fails fast (no offline queue, bounded command time) so a
 *   request answers 503 instead of hanging.
 * - `admin`: health checks, rate limits, dead-letter reads. Fails fast like the producer.
 * - `worker`: BullMQ Worker (it duplicates this for its blocking connection). Waits forever:
 *   `maxRetriesPerRequest: null`, offline queue on, no command timeout.
 * - `queue-events`: BullMQ QueueEvents (blocking XREAD). Same as `worker`.
 */
export type ConnectionRole = 'producer' | 'admin' | 'worker' | 'queue-events';

/** Roles whose commands block or must survive outages. */
export function isBlockingRole(role: ConnectionRole): boolean {
  return role === 'worker' || role === 'queue-events';
}

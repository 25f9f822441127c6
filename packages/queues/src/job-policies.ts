import type { KeepJobs } from 'bullmq';

/** Completed jobs are kept 1 hour and at most 1,000 per queue: enough to inspect, bounded memory. */
export const KEEP_COMPLETED: KeepJobs = { age: 60 * 60, count: 1000 };
/** How long failed jobs are kept: 24 hours; the dead-letter queue keeps them longer. */
export const FAILED_RETENTION_MS = 24 * 60 * 60 * 1000;
/** BullMQ's `removeOnFail` for {@link FAILED_RETENTION_MS} (BullMQ counts seconds). */
export const KEEP_FAILED: KeepJobs = { age: FAILED_RETENTION_MS / 1000 };
/** Dead letters are kept 7 days. */
export const DEAD_LETTER_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Share of each backoff step that is random, so retries of a burst do not align. */
export const BACKOFF_JITTER = 0.5;

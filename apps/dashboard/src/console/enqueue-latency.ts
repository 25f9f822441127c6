const MINUTE_MS = 60_000;

/** When a job was added, how long it was delayed on purpose, and when a worker started it. */
export interface JobTimes {
  timestamp: number;
  delay: number;
  processedOn: number;
}

/** Enqueue-to-start latency per minute, oldest first, `null` for a minute without a sample. */
export interface LatencySeries {
  /** Epoch ms of the first (oldest) minute of the window. */
  start: number;
  /** Mean latency (ms) of the jobs started in each minute. */
  mean: (number | null)[];
  /** Longest latency (ms) of the jobs started in each minute. */
  max: (number | null)[];
}

/**
 * Groups jobs by the minute they started and measures, per minute, how long they waited between
 * being due (added, plus any delay asked for) and a worker taking them. Jobs that started before
 * the window are left out.
 */
export function enqueueLatency(
  jobs: readonly JobTimes[],
  now: number,
  minutes = 60,
): LatencySeries {
  const current = Math.floor(now / MINUTE_MS);
  const first = current - minutes + 1;
  const sums = new Array<number>(minutes).fill(0);
  const counts = new Array<number>(minutes).fill(0);
  const max: (number | null)[] = new Array<number | null>(minutes).fill(null);
  for (const job of jobs) {
    const index = Math.floor(job.processedOn / MINUTE_MS) - first;
    if (index < 0 || index >= minutes) continue;
    const latency = Math.max(job.processedOn - job.timestamp - job.delay, 0);
    sums[index] = (sums[index] ?? 0) + latency;
    counts[index] = (counts[index] ?? 0) + 1;
    max[index] = Math.max(max[index] ?? 0, latency);
  }
  const mean = counts.map((count, index) => (count === 0 ? null : (sums[index] ?? 0) / count));
  return { start: first * MINUTE_MS, mean, max };
}

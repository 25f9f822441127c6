import type { Metrics } from 'bullmq';

const MINUTE_MS = 60_000;

/** Counts per minute over a window ending with the current minute. */
export interface MinuteSeries {
  /** Epoch ms of the first (oldest) minute of the window. */
  start: number;
  /** One count per minute, oldest first; the last one is the current, unfinished minute. */
  values: number[];
}

/**
 * The last `minutes` minutes of a BullMQ metric, oldest first. BullMQ closes a minute only when
 * a job finishes in a later one: `data[0]` is the minute before the one of `meta.prevTS`, `data[i]`
 * the i-th before that, and the jobs counted since (`count - prevCount`) belong to the minute of
 * `prevTS`. Minutes after it saw no job.
 */
export function perMinuteSeries(metrics: Metrics, now: number, minutes = 60): MinuteSeries {
  const current = Math.floor(now / MINUTE_MS);
  const first = current - minutes + 1;
  const values = new Array<number>(minutes).fill(0);
  const put = (minute: number, count: number) => {
    if (minute >= first && minute <= current) values[minute - first] = count;
  };
  const { prevTS, count, prevCount } = metrics.meta;
  if (prevTS > 0) {
    const open = Math.floor(prevTS / MINUTE_MS);
    put(open, Math.max(count - prevCount, 0));
    for (const [index, value] of metrics.data.entries()) put(open - 1 - index, value);
  }
  return { start: first * MINUTE_MS, values };
}

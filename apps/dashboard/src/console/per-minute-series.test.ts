import { describe, expect, it } from 'vitest';
import { perMinuteSeries } from './per-minute-series.js';

const MINUTE = 60_000;
/** 12:00:30 on some day, in the middle of a minute. */
const NOW = 1_800_000_000_000 - (1_800_000_000_000 % MINUTE) + 30_000;
const minuteOf = (time: number) => Math.floor(time / MINUTE) * MINUTE;

const metrics = (prevTS: number, count: number, prevCount: number, data: number[]) => ({
  meta: { prevTS, count, prevCount },
  data,
  count: data.length,
});

describe('perMinuteSeries', () => {
  it('puts the open minute last and the closed ones before it, newest first in BullMQ', () => {
    // BullMQ closed the previous minutes when a job finished in the current one.
    const series = perMinuteSeries(metrics(NOW - 10_000, 20, 17, [5, 0, 2]), NOW, 5);
    expect(series.start).toBe(minuteOf(NOW) - 4 * MINUTE);
    expect(series.values).toEqual([0, 2, 0, 5, 3]);
  });

  it('leaves the minutes after the last finished job at zero', () => {
    const series = perMinuteSeries(metrics(NOW - 3 * MINUTE, 9, 5, [7]), NOW, 5);
    expect(series.values).toEqual([7, 4, 0, 0, 0]);
  });

  it('drops minutes older than the window, and is all zeros before any metric', () => {
    const old = perMinuteSeries(metrics(NOW, 1, 0, [1, 2, 3, 4, 5, 6]), NOW, 3);
    expect(old.values).toEqual([2, 1, 1]);
    expect(perMinuteSeries(metrics(0, 0, 0, []), NOW, 3).values).toEqual([0, 0, 0]);
  });
});

import { describe, expect, it } from 'vitest';
import { enqueueLatency } from './enqueue-latency.js';

const MINUTE = 60_000;
const NOW = 1_800_000_000_000 - (1_800_000_000_000 % MINUTE) + 30_000;
const CURRENT = Math.floor(NOW / MINUTE) * MINUTE;

describe('enqueueLatency', () => {
  it('averages and maximises per minute of start, counting from when the job was due', () => {
    const series = enqueueLatency(
      [
        { timestamp: CURRENT - 500, delay: 0, processedOn: CURRENT + 100 },
        { timestamp: CURRENT - 100, delay: 0, processedOn: CURRENT + 1100 },
        // Delayed on purpose by 10 s: only the 200 ms after that count.
        { timestamp: CURRENT - MINUTE, delay: 10_000, processedOn: CURRENT - MINUTE + 10_200 },
      ],
      NOW,
      3,
    );
    expect(series.start).toBe(CURRENT - 2 * MINUTE);
    expect(series.mean).toEqual([null, 200, 900]);
    expect(series.max).toEqual([null, 200, 1200]);
  });

  it('leaves out jobs started before the window', () => {
    const series = enqueueLatency(
      [{ timestamp: CURRENT - 10 * MINUTE, delay: 0, processedOn: CURRENT - 9 * MINUTE }],
      NOW,
      3,
    );
    expect(series.mean).toEqual([null, null, null]);
  });
});

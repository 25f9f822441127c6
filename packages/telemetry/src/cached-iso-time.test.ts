import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachedIsoTime } from './cached-iso-time.js';

describe('cachedIsoTime', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes what pino's isoTime writes, and a new value when the millisecond changes", () => {
    vi.useFakeTimers({ now: new Date('2026-01-02T03:04:05.678Z') });
    const time = cachedIsoTime();
    expect(time()).toBe(pino.stdTimeFunctions.isoTime());
    expect(time()).toBe(',"time":"2026-01-02T03:04:05.678Z"');
    vi.advanceTimersByTime(1);
    expect(time()).toBe(',"time":"2026-01-02T03:04:05.679Z"');
    expect(time()).toBe(pino.stdTimeFunctions.isoTime());
  });

  it('pads the milliseconds and follows across seconds, as isoTime does', () => {
    vi.useFakeTimers({ now: new Date('2026-01-02T03:04:05.998Z') });
    const time = cachedIsoTime();
    for (let step = 0; step < 1200; step += 1) {
      expect(time()).toBe(pino.stdTimeFunctions.isoTime());
      vi.advanceTimersByTime(1);
    }
    expect(time()).toBe(',"time":"2026-01-02T03:04:07.198Z"');
  });
});

import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './reconnect-delay.js';

describe('reconnectDelay', () => {
  it('grows exponentially, is capped, and never gives up', () => {
    const fixed = { random: () => 1 };
    expect(reconnectDelay(1, fixed)).toBe(100);
    expect(reconnectDelay(2, fixed)).toBe(200);
    expect(reconnectDelay(4, fixed)).toBe(800);
    expect(reconnectDelay(50, fixed)).toBe(5000);
    expect(reconnectDelay(10_000, { ...fixed, capMs: 2000 })).toBe(2000);
  });

  it('spreads retries between half and all of each step', () => {
    expect(reconnectDelay(6, { random: () => 0 })).toBe(1600);
    expect(reconnectDelay(6, { random: () => 0.999999 })).toBe(3200);
    const samples = new Set(Array.from({ length: 50 }, () => reconnectDelay(6)));
    expect(samples.size).toBeGreaterThan(10);
  });
});
